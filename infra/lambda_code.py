"""The functions' code asset: the Lambda package, with its bytecode compiled for the runtime.

Lambda's /var/task is read-only, so Python cannot cache what it compiles there: without shipped bytecode
every cold start compiles each module it imports from source (about 30 ms of the reporter's import).
The asset is therefore bundled locally, never with Docker: the package is copied (the asset's own
exclusions) and compiled by an interpreter of the runtime's version, as hash-based bytecode that is
never checked against its source (the deployed source cannot change) and that names /var/task in
tracebacks, so the same source gives the same bytes on every machine. Where no such interpreter exists
the asset ships the source alone, as before, and synth says so on stderr; the asset hash is the source's
either way.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import cast

import aws_cdk as cdk
import jsii
from aws_cdk import aws_lambda as lambda_

from infra import constants as c

RUNTIME = lambda_.Runtime.PYTHON_3_13
TASK_ROOT = "/var/task"  # where Lambda unpacks a function's code: the path its tracebacks show
# Set it to a python3.13 to choose the compiler; else python3.13 on PATH, else pyenv's.
LAMBDA_PYTHON_VARIABLE = "LAMBDA_PYTHON"
# What deploys, on this machine: the Makefile's LAMBDA_VENV (the runtime's boto3, the layer's packages).
LAMBDA_VENV_PYTHON = c.PROJECT_ROOT / ".venv-lambda" / "bin" / "python"


def runtime_version() -> str:
    """"3.13" of python3.13."""
    return RUNTIME.name.removeprefix("python")


def lambda_code() -> lambda_.Code:
    return lambda_.Code.from_asset(
        str(c.LAMBDA_ASSET_DIR),
        exclude=list(c.LAMBDA_ASSET_EXCLUDE),
        bundling=cdk.BundlingOptions(
            image=cdk.DockerImage.from_registry("local-bundling-only"),  # never pulled: local always bundles
            # jsii calls try_bundle(output_dir, options) positionally; its typed protocol spells keywords.
            local=cast(cdk.ILocalBundling, CompiledPackage()),
        ),
    )


@jsii.implements(cdk.ILocalBundling)
class CompiledPackage:
    """Local bundling of the Lambda package (see the module's docstring)."""

    def try_bundle(self, output_dir: str, options: cdk.BundlingOptions) -> bool:  # noqa: ARG002 - CDK's signature
        cdk.FileSystem.copy_directory(
            str(c.LAMBDA_ASSET_DIR),
            output_dir,
            cdk.CopyOptions(exclude=list(c.LAMBDA_ASSET_EXCLUDE), ignore_mode=cdk.IgnoreMode.GLOB),
        )
        python = runtime_python()
        if python is None:
            print(
                f"autopilot-reports: no python{runtime_version()} found (set {LAMBDA_PYTHON_VARIABLE}): the "
                "functions' asset ships without bytecode, and each cold start compiles the package",
                file=sys.stderr,
            )
            return True
        compile_package(python, Path(output_dir))
        return True


def compile_package(python: str, root: Path) -> None:
    subprocess.run(
        [
            python,
            "-m",
            "compileall",
            "-q",
            "--invalidation-mode",
            "unchecked-hash",
            "-s",
            str(root),
            "-p",
            TASK_ROOT,
            str(root),
        ],
        check=True,
        capture_output=True,
    )


@cache
def runtime_python() -> str | None:
    """An interpreter of the runtime's version: LAMBDA_PYTHON, python3.13 on PATH, or pyenv's."""
    version = runtime_version()
    candidates = [os.environ.get(LAMBDA_PYTHON_VARIABLE), shutil.which(f"python{version}")]
    pyenv = shutil.which("pyenv")
    if pyenv:
        root = subprocess.run([pyenv, "root"], capture_output=True, text=True, check=False).stdout.strip()
        if root:
            candidates += sorted(str(path) for path in Path(root).glob(f"versions/{version}.*/bin/python{version}"))
    return next((python for python in candidates if python and _version_of(python) == version), None)


def _version_of(python: str) -> str | None:
    try:
        done = subprocess.run(
            [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
    except OSError:
        return None
    return done.stdout.strip() if done.returncode == 0 else None
