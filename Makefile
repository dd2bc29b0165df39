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
API_PORT ?= 8000
WS_PORT ?= 8001
SEED ?=
# make deploy STAGE=dev [TARGET=localstack]
STAGE ?= dev
TARGET ?= aws

.PHONY: install run test lint bench deploy clean

install: $(INSTALLED)

$(INSTALLED): $(REQUIREMENTS)
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check --quiet $(addprefix -r ,$(REQUIREMENTS))
	touch $@

run: install
	$(BIN)/python -m local_cloud run --emulator $(EMULATOR) --emulator-port $(EMULATOR_PORT) \
		--api-port $(API_PORT) --ws-port $(WS_PORT) $(if $(SEED),--seed)

test: lint
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/cfn-lint infra/template.yaml

bench: install
	for bench in bench/*/run.py; do $(BIN)/python $$bench || exit 1; done

deploy: install
	$(BIN)/python -m infra.deploy --stage $(STAGE) --target $(TARGET)

clean:
	rm -rf $(VENV) .local
