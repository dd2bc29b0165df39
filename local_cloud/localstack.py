"""LocalStack's open-source runtime as the local cloud's emulator: no Docker, its own venv.

    make run EMULATOR=localstack                         # starts and stops its own LocalStack
    make run EMULATOR=localstack EMULATOR_URL=http://…   # attaches to one already running

LocalStack's community edition (archived in March 2026) runs on the host with
`python -m localstack.runtime.main`. It needs Python 3.13 (3.11 and 3.12 fail on syntax and
`warnings.deprecated`), pins its own boto3 and installs its own moto fork as `moto`, so it
lives in a venv of its own (`.local/localstack-venv`, made on first use from
`localstack-constraints.txt`, ~500 MB and ~45 s), never in the project's `.venv`.

Offline its S3, SQS, SNS, EventBridge, CloudFormation, SSM, STS, IAM and CloudWatch work as
they are. Its DynamoDB and DynamoDB Streams do not: both forward to Amazon's DynamoDB Local,
which it downloads with a Java runtime at start-up. The plugin in `localstack_plugin/` serves
both from the moto fork it bundles instead (``PROVIDER_OVERRIDE_DYNAMODB=moto``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO

from local_cloud.emulator import ChildEmulator

HERE = Path(__file__).resolve().parent
CONSTRAINTS = HERE / "localstack-constraints.txt"
PLUGIN = HERE / "localstack_plugin"
REQUIREMENT = "localstack-core[runtime]==2026.3.0"
PYTHON = "3.13"


class NotLocalStack(RuntimeError):
    pass


def is_localstack(endpoint_url: str) -> bool:
    """Whether LocalStack itself answers there: its health document names its services and
    its version. Any other emulator (a moto server on 4566) answers something else."""
    try:
        with urllib.request.urlopen(f"{endpoint_url}/_localstack/health", timeout=2) as answer:
            health = json.loads(answer.read())
    except (OSError, ValueError):
        return False
    return isinstance(health, dict) and "services" in health and "version" in health


def wait_for_localstack(
    endpoint_url: str, timeout: float, process: subprocess.Popen | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while not is_localstack(endpoint_url):
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"LocalStack exited with status {process.returncode} while starting")
        if time.monotonic() > deadline:
            raise NotLocalStack(
                f"LocalStack does not answer on {endpoint_url} (its /_localstack/health)"
            )
        time.sleep(0.2)


def find_python() -> str:
    """A Python 3.13 for LocalStack: LOCALSTACK_PYTHON, else pyenv's (these machines have
    one), else python3.13 on the PATH, whichever really is 3.13 (a pyenv shim on the PATH
    may name a version it will not run)."""
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates = [
        os.environ.get("LOCALSTACK_PYTHON"),
        *(str(p) for p in sorted(pyenv_root.glob(f"versions/{PYTHON}*/bin/python{PYTHON}"))),
        shutil.which(f"python{PYTHON}"),
    ]
    for candidate in filter(None, candidates):
        probe = subprocess.run(
            [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
        )
        if probe.returncode == 0 and probe.stdout.strip() == PYTHON:
            return candidate
    raise RuntimeError(
        f"LocalStack needs Python {PYTHON}: install it (pyenv install {PYTHON}) or set "
        "LOCALSTACK_PYTHON to its interpreter"
    )


def ensure_venv(venv: Path, log: IO[bytes] | None = None) -> Path:
    """LocalStack's venv, made (or remade when the pins or the plugin change); returns its
    Python. pip's chatter goes to ``log``."""
    python = venv / "bin" / "python"
    wanted = _fingerprint()
    marker = venv / ".glimpse-installed"
    if python.exists() and marker.exists() and marker.read_text() == wanted:
        return python
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([find_python(), "-m", "venv", str(venv)], check=True)
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run(
        [*pip, "-c", str(CONSTRAINTS), REQUIREMENT, str(PLUGIN)],
        check=True,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    # The plugin is installed from a copy: the source folder keeps no build debris.
    shutil.rmtree(PLUGIN / "build", ignore_errors=True)
    for debris in PLUGIN.glob("*.egg-info"):
        shutil.rmtree(debris, ignore_errors=True)
    marker.write_text(wanted)
    return python


def _fingerprint() -> str:
    digest = hashlib.sha256(CONSTRAINTS.read_bytes())
    for path in sorted(PLUGIN.glob("*.py")) + [PLUGIN / "pyproject.toml"]:
        digest.update(path.read_bytes())
    return digest.hexdigest()


class LocalStack(ChildEmulator):
    """LocalStack on 127.0.0.1:``port``, with its files under ``state_dir`` (two instances
    never share them)."""

    def __init__(self, port: int, state_dir: Path, venv: Path, log_path: Path) -> None:
        super().__init__(port, log_path)
        self.state_dir = state_dir
        self.venv = venv

    def settings(self) -> dict[str, str]:
        """What LocalStack needs to run here: host mode (these machines are containers, and
        LocalStack would otherwise write to /etc, /usr/lib and /var/lib/localstack), a host
        name that resolves, path-style SQS URLs, nothing downloaded or kept, and DynamoDB
        from moto."""
        files = self.state_dir / "files"
        return {
            "OVERRIDE_IN_DOCKER": "0",
            "GATEWAY_LISTEN": f"127.0.0.1:{self.port}",
            "LOCALSTACK_HOST": f"127.0.0.1:{self.port}",
            "SQS_ENDPOINT_STRATEGY": "path",
            "PERSISTENCE": "0",
            "DISABLE_EVENTS": "1",
            "SKIP_SSL_CERT_DOWNLOAD": "1",
            "PROVIDER_OVERRIDE_DYNAMODB": "moto",
            "PROVIDER_OVERRIDE_DYNAMODBSTREAMS": "moto",
            # Its files, and the temporary folder its S3 keeps objects in, per instance.
            "FILESYSTEM_ROOT": str(files),
            "TMPDIR": str(self.state_dir / "tmp"),
        }

    def start(self) -> None:
        python = ensure_venv(self.venv, self._open_log())
        for folder in ("files", "tmp"):
            (self.state_dir / folder).mkdir(parents=True, exist_ok=True)
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("AWS_", "PYTHON", "VIRTUAL_ENV"))
        }
        env.update(self.settings())
        process = self._spawn([str(python), "-m", "localstack.runtime.main"], env, self.state_dir)
        wait_for_localstack(self.endpoint_url, timeout=60, process=process)


def main() -> None:
    """`python -m local_cloud.localstack`: make LocalStack's venv now (make test-localstack
    does, so that the first test cloud does not spend its start-up time on pip)."""
    venv = Path(__file__).resolve().parents[1] / ".local" / "localstack-venv"
    venv.parent.mkdir(parents=True, exist_ok=True)
    print(ensure_venv(venv))


if __name__ == "__main__":
    main()
