"""One line saying what runs the tests: the interpreter and the versions of what the functions import on
AWS (the runtime's boto3/botocore, the Powertools layer's packages). `make test` prints it before each run,
and warns when the Lambda suites cannot run on the runtime's Python."""

from __future__ import annotations

import sys
from importlib import metadata

RUNTIME_PYTHON = (3, 13)  # the functions' runtime (infra: lambda_.Runtime.PYTHON_3_13)
PACKAGES = ("boto3", "botocore", "aws-lambda-powertools", "pydantic", "pydantic-core", "aws-xray-sdk")


def describe() -> str:
    python = ".".join(map(str, sys.version_info[:3]))
    versions = ", ".join(f"{name} {_version(name)}" for name in PACKAGES)
    return f"Python {python} ({sys.executable}); {versions}"


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "absent"


def main(argv: list[str]) -> int:
    label = argv[1] if len(argv) > 1 else "tests"
    print(f"{label}: {describe()}")
    if "--runtime" in argv and sys.version_info[:2] != RUNTIME_PYTHON:
        wanted = ".".join(map(str, RUNTIME_PYTHON))
        print(
            f"{label}: warning: no python{wanted} on this machine, so this run is on Python "
            f"{sys.version_info.major}.{sys.version_info.minor}, not the functions' {wanted}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
