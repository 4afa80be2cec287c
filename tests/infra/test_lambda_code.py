"""The functions' code asset carries bytecode for the runtime (infra/lambda_code.py): Lambda's /var/task is
read-only, so without it every cold start compiles the package it imports."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from infra import lambda_code
from infra.assembly import code_asset
from tests.infra.helpers import props

HASH_BASED_UNCHECKED = 0b01  # PEP 552 flags: hash-based, and the source is never checked
HANDLERS = ("watcher", "reporter", "notifier", "coster", "forwarder", "hub_recorder", "spoke_monitor")


@pytest.fixture(scope="module")
def asset(synth_app, template_json) -> Path:
    return code_asset(Path(synth_app.outdir), props(template_json, "ReporterFunction")["Code"]["S3Key"])


@pytest.fixture(scope="module")
def runtime_python() -> str:
    python = lambda_code.runtime_python()
    if python is None:
        pytest.skip(f"no python{lambda_code.runtime_version()} here: the asset ships its source alone")
    return python


def test_every_module_of_the_asset_has_unchecked_bytecode_for_the_runtime(asset, runtime_python):
    tag = f"cpython-{lambda_code.runtime_version().replace('.', '')}"
    sources = sorted(asset.rglob("*.py"))
    assert len(sources) > 40
    for source in sources:
        compiled = source.parent / "__pycache__" / f"{source.stem}.{tag}.pyc"
        assert compiled.is_file(), f"{source.relative_to(asset)} has no {tag} bytecode"
        header = compiled.read_bytes()[:16]
        assert int.from_bytes(header[4:8], "little") == HASH_BASED_UNCHECKED, compiled
    compiled_names = {path.name for path in asset.rglob("*.pyc")}
    assert all(tag in name for name in compiled_names), "bytecode of another interpreter in the asset"


def test_tracebacks_name_the_task_root_not_the_build_machine(asset, runtime_python):
    constants = (asset / "autopilot_reports" / "__pycache__").glob("constants.cpython-*.pyc")
    data = next(constants).read_bytes()
    assert b"/var/task/autopilot_reports/constants.py" in data
    assert str(asset).encode() not in data


def test_the_runtime_imports_every_handler_from_the_asset_without_compiling(asset, runtime_python):
    """What Lambda does at a cold start, on what deploys (the Makefile's Lambda venv: the runtime's boto3,
    the layer's packages): the handlers import from the asset, and not one module of ours is compiled
    from source (importlib's source_to_code is never called for it)."""
    python = lambda_code.LAMBDA_VENV_PYTHON
    if not python.is_file():
        pytest.skip("no .venv-lambda (make test builds it before the suites)")
    code = (
        "import importlib._bootstrap_external as external, sys\n"
        "compiled = []\n"
        "original = external.SourceLoader.source_to_code\n"
        "def spy(self, data, path, **kwargs):\n"
        "    compiled.append(str(path))\n"
        "    return original(self, data, path, **kwargs)\n"
        "external.SourceLoader.source_to_code = spy\n"
        + "".join(f"import autopilot_reports.handlers.{name}\n" for name in HANDLERS)
        + "print([path for path in compiled if 'autopilot_reports' in path])\n"
        "print(len([name for name in sys.modules if name.startswith('autopilot_reports')]))\n"
    )
    environment = {"PYTHONPATH": str(asset), "AWS_DEFAULT_REGION": "us-east-1", "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run([python, "-c", code], env=environment, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    compiled, imported = done.stdout.splitlines()
    assert compiled == "[]"
    assert int(imported) > 40
