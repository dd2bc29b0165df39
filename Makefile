# Two commands on a fresh machine: `make run` and `make test`. Both install into .venv first;
# the install is redone only when a requirements file changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
REQUIREMENTS := requirements.txt requirements-dev.txt functions/media/requirements.txt \
	functions/recommender/requirements.txt

# make run SEED=1 EMULATOR=localstack API_PORT=8010 ...
EMULATOR ?= moto
EMULATOR_PORT ?= 4566
# With EMULATOR=localstack: attach to a running LocalStack (localstack-compose.yml's).
EMULATOR_URL ?=
API_PORT ?= 8000
WS_PORT ?= 8001
SEED ?=
# make deploy STAGE=dev [TARGET=localstack]
STAGE ?= dev
TARGET ?= aws

.PHONY: install run mail moderator test test-localstack lint bench deploy clean

install: $(INSTALLED)

$(INSTALLED): $(REQUIREMENTS)
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check --quiet $(addprefix -r ,$(REQUIREMENTS))
	touch $@

run: install
	$(BIN)/python -m local_cloud run --emulator $(EMULATOR) --emulator-port $(EMULATOR_PORT) \
		$(if $(EMULATOR_URL),--emulator-url $(EMULATOR_URL)) \
		--api-port $(API_PORT) --ws-port $(WS_PORT) $(if $(SEED),--seed)

# The mail the local cloud sent (its mailbox): make mail [TO=address] [LAST=n]
mail: install
	$(BIN)/python -m local_cloud mail $(if $(TO),--to $(TO)) $(if $(LAST),--last $(LAST))

# An account of the local cloud made a moderator (README, "Reports and moderation"):
# make moderator NAME=alice [REVOKE=1]. Against AWS: python -m chalicelib.moderation.grant.
moderator: install
	AWS_ENDPOINT_URL=http://127.0.0.1:$(EMULATOR_PORT) AWS_ACCESS_KEY_ID=local \
		AWS_SECRET_ACCESS_KEY=local AWS_DEFAULT_REGION=us-east-1 GLIMPSE_STAGE=local \
		$(BIN)/python -m chalicelib.moderation.grant $(if $(REVOKE),--revoke) $(NAME)

test: lint
	$(BIN)/python -m pytest

# The second lane: the integration suite against LocalStack (its own venv, Python 3.13).
test-localstack: install
	$(BIN)/python -m local_cloud.localstack
	TEST_EMULATOR=localstack $(BIN)/python -m pytest tests/integration

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/cfn-lint infra/template.yaml

bench: install
	for bench in bench/*/run.py; do $(BIN)/python $$bench || exit 1; done

deploy: install
	$(BIN)/python -m infra.deploy --stage $(STAGE) --target $(TARGET)

clean:
	rm -rf $(VENV) .local
