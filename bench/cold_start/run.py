"""Cold import time of the API Lambda, against ``import boto3`` alone.

Builds a Lambda-like package directory (what ``chalice package`` ships: the runtime
requirements, Chalice's two runtime files, app.py and chalicelib, plus boto3/botocore at
the pinned versions the Lambda runtime would provide), then imports it in fresh, isolated
interpreters (``-I -S``: only the package and the stdlib on sys.path) with the environment
of a deployed stage (tracing on). Prints the median import times, their ratio to
``import boto3`` (target: at most 1.3x), the floor of the libraries every route needs
without any of our code, what a cold container's first request adds (a route's logic is
imported on its first call, chalicelib/core/deferred.py), what shipping .pyc saves, a
per-package breakdown from ``-X importtime`` and the slowest modules.

    .venv/bin/python bench/cold_start/run.py [--runs 15]

Exits 0 when the target is missed (it is a measurement), 1 when ``import app`` fails, makes
a network call or drags numpy, Pillow or dlib in (itself or through any route's logic).
The package is cached under .local/bench/cold_start/<hash of the requirements>/deps; app.py
and chalicelib are copied afresh on every run.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass
from importlib import metadata, util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".local" / "bench" / "cold_start"
TARGET_RATIO = 1.3
FORBIDDEN = ("numpy", "PIL", "dlib")
LIBRARIES = "import chalice, jwt, pynamodb.models, chalicelib.core.observability"
# What a cold container imports before its first request's handler runs: app.py, then the
# modules that route defers (chalicelib/core/deferred.py). Three first requests, and a
# container that has served every route (the whole of what app.py imported before deferring).
FIRST_REQUESTS = {
    "+ GET /feed": "import app, chalicelib.feed.home",
    "+ POST /auth/refresh": "import app, chalicelib.accounts.auth",
    "+ a websocket message": "import app, chalicelib.messaging.realtime",
    "+ every route": "import app; from chalicelib.core import deferred; deferred.import_all()",
}
# Provided by the Lambda runtime, pinned like the dev environment for a fair comparison.
RUNTIME_PINS = ("boto3", "botocore")

# A deployed stage (see .chalice/config.json, stages dev/prod: xray on), not `chalice local`.
ENV = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_LAMBDA_FUNCTION_NAME": "glimpse-bench",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024",
    "AWS_EXECUTION_ENV": "AWS_Lambda_python3.11",
    "_HANDLER": "app.app",
    "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
    "GLIMPSE_STAGE": "bench",
    "JWT_SECRET": "x" * 40,
    "USERS_STREAM_ARN": "arn:aws:dynamodb:us-east-1:123456789012:table/x/stream/2020",
    "FOLLOWS_STREAM_ARN": "arn:aws:dynamodb:us-east-1:123456789012:table/y/stream/2020",
    "POWERTOOLS_SERVICE_NAME": "glimpse-api",
    "POWERTOOLS_METRICS_NAMESPACE": "Glimpse",
}

# Runs in the fresh interpreter. The marker on stderr separates interpreter start-up from
# the measured import in the -X importtime output.
PROBE = """\
import sys, time
sys.path.insert(0, {pkg!r})
sys.stderr.write("--import--\\n"); sys.stderr.flush()
t, c = time.perf_counter(), time.process_time()
{statement}
ms, cpu = (time.perf_counter() - t) * 1000, (time.process_time() - c) * 1000
import json
print(json.dumps({{"ms": ms, "cpu": cpu, "modules": sorted(sys.modules), "path": sys.path}}))
"""

# Prepended for the check run only: any network call during the import raises.
NO_NETWORK = """\
import socket
def _refuse(*args, **kwargs):
    raise OSError("network call during import")
socket.getaddrinfo = socket.gethostbyname = socket.create_connection = _refuse
socket.socket.connect = socket.socket.connect_ex = socket.socket.sendto = _refuse
"""

IMPORTTIME = re.compile(r"^import time:\s+(\d+) \|\s+\d+ \| ( *)(\S+)$")
STDLIB = "(stdlib)"
MINOR_MS = 0.5  # packages below this share one row


@dataclass(frozen=True)
class Sample:
    ms: float
    cpu: float
    modules: list[str]
    path: list[str]
    stderr: str


# --- building the package ------------------------------------------------------------------


def pins(names: tuple[str, ...]) -> list[str]:
    """``name==version`` lines for ``names`` from requirements-dev.txt."""
    text = (ROOT / "requirements-dev.txt").read_text()
    found = re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", text, flags=re.M)
    wanted = [f"{n}=={v}" for n, v in found if n.lower() in names]
    if len(wanted) != len(names):
        sys.exit(f"requirements-dev.txt must pin {', '.join(names)} (found {wanted})")
    return wanted


def chalice_runtime() -> list[Path]:
    """The files chalice/deploy/packager.py puts in the zip: chalice/__init__.py and app.py."""
    spec = util.find_spec("chalice")
    assert spec and spec.origin, "chalice is not installed in this venv"
    wanted = pins(("chalice",))[0].split("==")[1]
    if metadata.version("chalice") != wanted:
        sys.exit(f"venv has chalice {metadata.version('chalice')}, requirements pin {wanted}")
    init = Path(spec.origin)
    return [init, init.with_name("app.py")]


def build_deps() -> Path:
    """pip-installed runtime dependencies, without bytecode; cached per requirements."""
    requirements = ROOT / "requirements.txt"
    extra = pins(RUNTIME_PINS)
    key = hashlib.sha256(
        requirements.read_bytes() + "\n".join([*extra, sys.version]).encode()
    ).hexdigest()[:12]
    deps = CACHE / key / "deps"
    if (deps / ".complete").exists():
        return deps
    shutil.rmtree(deps, ignore_errors=True)
    print(f"building {deps.relative_to(ROOT)} (pip install, once per requirements)...")
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    pip += ["--no-compile", "--target", str(deps), "-r", str(requirements), *extra]
    done = subprocess.run(pip, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"pip failed:\n{done.stdout}{done.stderr}")
    for file in chalice_runtime():
        (deps / "chalice").mkdir(exist_ok=True)
        shutil.copy2(file, deps / "chalice" / file.name)
    (deps / ".complete").touch()
    return deps


def stage_package(deps: Path, dest: Path, *, compiled: bool) -> Path:
    """A fresh copy of deps plus this checkout's app.py and chalicelib."""
    shutil.rmtree(dest, ignore_errors=True)
    no_bytecode = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(deps, dest, ignore=no_bytecode)
    shutil.copy2(ROOT / "app.py", dest / "app.py")
    shutil.copytree(ROOT / "chalicelib", dest / "chalicelib", ignore=no_bytecode)
    if compiled:
        compile_all = [sys.executable, "-m", "compileall", "-q", "-j0", str(dest)]
        done = subprocess.run(compile_all, capture_output=True, text=True)
        if done.returncode:
            sys.exit(f"compileall failed:\n{done.stdout}{done.stderr}")
    return dest


def bytecode_files(pkg: Path) -> int:
    return sum(1 for _ in pkg.rglob("*.pyc"))


# --- measuring -----------------------------------------------------------------------------


def probe(
    pkg: Path,
    statement: str,
    *,
    write_bytecode: bool = True,
    importtime: bool = False,
    no_network: bool = False,
) -> Sample:
    """Run ``statement`` (imports) in a fresh interpreter that sees only ``pkg`` and the
    stdlib."""
    flags = ["-I", "-S"] + ([] if write_bytecode else ["-B"])
    flags += ["-X", "importtime"] if importtime else []
    code = (NO_NETWORK if no_network else "") + PROBE.format(pkg=str(pkg), statement=statement)
    env = ENV | {"LAMBDA_TASK_ROOT": str(pkg)}  # Powertools and X-Ray look for it
    done = subprocess.run(
        [sys.executable, *flags, "-c", code], env=env, capture_output=True, text=True
    )
    if done.returncode:
        sys.exit(f"FAILED: `{statement}` from {pkg}:\n{done.stderr[-4000:]}")
    out = json.loads(done.stdout.splitlines()[-1])
    return Sample(out["ms"], out["cpu"], out["modules"], out["path"], done.stderr)


def import_tree(stderr: str) -> dict[str, tuple[int, str]]:
    """Module -> (self us, owner) from -X importtime, for the imports after the marker.

    The owner is the nearest third-party or first-party package up the import chain, so a
    stdlib module is charged to whoever imported it first.
    """
    lines = [
        m
        for line in stderr.split("--import--\n", 1)[-1].splitlines()
        if (m := IMPORTTIME.match(line))
    ]
    tree: dict[str, tuple[int, str]] = {}
    chain: list[str] = []  # ancestors; importtime prints children before their parent
    for m in reversed(lines):
        module, depth = m[3], len(m[2]) // 2
        del chain[depth:]
        owners = [package_of(a) for a in [*chain, module] if package_of(a) != STDLIB]
        owner = owners[-1] if owners else STDLIB
        tree[module] = (tree.get(module, (0, owner))[0] + int(m[1]), owner)  # failed: retried
        chain.append(module)
    return tree


def package_of(module: str) -> str:
    top = module.split(".")[0]
    return STDLIB if top in sys.stdlib_module_names else top


# --- reporting -----------------------------------------------------------------------------


def print_times(times: dict[str, list[float]], runs: int, pkg: Path) -> None:
    median = {name: statistics.median(values) for name, values in times.items()}
    boto3, app, nopyc = (median[k] for k in ("import boto3", "import app", "import app, no .pyc"))
    print(
        f"\nAPI Lambda cold import - Python {sys.version.split()[0]}, {runs} fresh "
        f"interpreters per row, package {pkg.relative_to(ROOT)}"
    )
    print(f"  {'ms':22}{'median':>8}{'min':>8}{'max':>8}{'x boto3':>10}")
    for name, values in times.items():
        print(
            f"  {name:22}{median[name]:8.1f}{min(values):8.1f}{max(values):8.1f}"
            f"{median[name] / boto3:10.2f}"
        )
    ratio = app / boto3
    verdict = "met" if ratio <= TARGET_RATIO else "MISSED"
    print(f"  target: app <= {TARGET_RATIO}x boto3 ... {verdict} ({ratio:.2f}x)")
    first = {name: median[name] / boto3 for name in FIRST_REQUESTS}
    print(
        "  a cold container's first request adds its route's logic: "
        + ", ".join(f"{name[2:]} {value:.2f}x" for name, value in first.items())
    )
    floor = median["libraries alone"]
    print(
        f"  chalicelib and app.py add {app - floor:.0f} ms to their libraries' {floor:.0f} ms "
        f"({floor / boto3:.2f}x boto3 before any of our code)"
    )
    print(f"  shipping .pyc saves {nopyc - app:.0f} ms per cold start ({nopyc / app:.1f}x faster)")


def print_breakdown(trees: list[dict[str, tuple[int, str]]], runs: int) -> None:
    self_ms = {m: statistics.median(t[m][0] for t in trees if m in t) / 1000 for m in trees[0]}
    own: dict[str, float] = defaultdict(float)
    stdlib: dict[str, float] = defaultdict(float)
    for module, value in self_ms.items():
        owner = trees[0][module][1]
        (stdlib if package_of(module) == STDLIB else own)[owner] += value
    total = sum(self_ms.values())
    rows = sorted(own.keys() | stdlib.keys(), key=lambda p: -(own[p] + stdlib[p]))
    small = [p for p in rows if own[p] + stdlib[p] < MINOR_MS]

    print(f"\nimport app by package: self ms under -X importtime, median of {runs} runs")
    print("(+stdlib: the stdlib modules the package was first to import)")
    print(f"  {'package':26}{'own':>8}{'+stdlib':>8}{'total':>8}{'%':>7}")
    for p in rows:
        if p not in small:
            value = own[p] + stdlib[p]
            print(f"  {p:26}{own[p]:8.1f}{stdlib[p]:8.1f}{value:8.1f}{100 * value / total:7.1f}")
    minor = sum(own[p] + stdlib[p] for p in small)
    print(
        f"  {f'{len(small)} others (< {MINOR_MS} ms)':26}{'':16}{minor:8.1f}"
        f"{100 * minor / total:7.1f}"
    )
    print(f"  {'total':26}{sum(own.values()):8.1f}{sum(stdlib.values()):8.1f}{total:8.1f}")

    print(f"\nslowest modules{'':29}self ms  charged to")
    for module in sorted(self_ms, key=lambda m: -self_ms[m])[:10]:
        print(f"  {module:42}{self_ms[module]:8.1f}  {trees[0][module][1]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="fresh interpreters per variant")
    runs = parser.parse_args().runs

    deps = build_deps()
    compiled = stage_package(deps, deps.with_name("pkg"), compiled=True)
    source = stage_package(deps, deps.with_name("pkg-nopyc"), compiled=False)
    pyc_before = bytecode_files(compiled)

    # Exits if the import touches the network; every route's logic, so none drags numpy in.
    check = probe(compiled, FIRST_REQUESTS["+ every route"], no_network=True)
    leaked = [p for p in check.path if "site-packages" in p]
    forbidden = [m for m in check.modules if m.split(".")[0] in FORBIDDEN]
    if forbidden:
        print(f"FAILED: `import app` loads {', '.join(forbidden)}: keep it off the API Lambda")
    if leaked:
        print(f"FAILED: the probe is not isolated, sys.path has {leaked}")
    if forbidden or leaked:
        return 1

    variants = {
        "import boto3": lambda: probe(compiled, "import boto3"),
        # The floor: what every route needs before any of chalicelib (Chalice, PynamoDB,
        # pyjwt, Powertools' Logger/Tracer/Metrics with X-Ray patching botocore).
        "libraries alone": lambda: probe(compiled, LIBRARIES),
        "import app": lambda: probe(compiled, "import app"),
        **{
            name: functools.partial(probe, compiled, statement)
            for name, statement in FIRST_REQUESTS.items()
        },
        "import app, no .pyc": lambda: probe(source, "import app", write_bytecode=False),
    }
    for run in variants.values():  # warms the page cache; discarded
        run()
    times: dict[str, list[float]] = defaultdict(list)
    cpu: dict[str, list[float]] = defaultdict(list)
    for _ in range(runs):  # interleaved, so drift hits every variant alike
        for name, run in variants.items():
            sample = run()
            times[name].append(sample.ms)
            cpu[name].append(sample.cpu)
    trees = [
        import_tree(probe(compiled, "import app", importtime=True).stderr) for _ in range(runs)
    ]

    print_times(times, runs, compiled)
    # CPU time is what a loaded machine distorts least (waiting for a core is not counted):
    # when the wall-clock ratio and this one disagree, the machine was busy.
    boto3_cpu, app_cpu = (statistics.median(cpu[k]) for k in ("import boto3", "import app"))
    print(
        f"  CPU ms (median): boto3 {boto3_cpu:.1f}, app {app_cpu:.1f}, "
        f"{app_cpu / boto3_cpu:.2f}x; load average {os.getloadavg()[0]:.2f} at the end"
    )
    print(
        f"  modules loaded: app {len(probe(compiled, 'import app').modules)}, with every "
        f"route's {len(check.modules)}, boto3 alone {len(probe(compiled, 'import boto3').modules)}"
        "; numpy, PIL, dlib: none; network calls: none"
    )
    print_breakdown(trees, runs)

    if bytecode_files(source) or bytecode_files(compiled) != pyc_before:
        print("\nFAILED: the runs wrote bytecode into a package, so the figures are wrong")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
