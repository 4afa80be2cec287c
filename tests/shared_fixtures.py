"""The real AWS and Clarify files in ../shared/fixtures, read in place (never copied into the project)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

SHARED_FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"


def shared_fixture(name: str) -> Path:
    path = SHARED_FIXTURES / name
    if not path.exists():
        pytest.skip(f"real AWS fixture {name} not available: ../shared/fixtures is absent in this clone")
    return path


def shared_json(name: str) -> Any:
    return json.loads(shared_fixture(name).read_text())
