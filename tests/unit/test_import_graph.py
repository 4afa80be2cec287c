"""The import graph (docs/design.md §9): no cycle, and no upward import. Read from the source with `ast`,
so it sees every module, imported or not.

Layers of the Lambda package, lowest first: the package root, `constants` and `clock`; `models`; `domain`
(free of boto3, tested apart); `adapters`; `settings` and `observability`; `handlers`. The CLI sits beside
the handlers, over the adapters. The sandbox reaches the package from outside; `testsupport` builds on the
sandbox; nothing in either imports back from `tests`, `bench` or `tools`."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "autopilot_reports"
# Each layer, and the layers it may import (itself included).
BASE = {"root", "constants", "clock"}
MAY_IMPORT: dict[str, set[str]] = {
    "root": BASE,
    "constants": BASE,
    "clock": BASE,
    "models": BASE | {"models"},
    "domain": BASE | {"models", "domain"},
    "adapters": BASE | {"models", "domain", "adapters"},
    "settings": BASE,
    "observability": BASE,
    "handlers": BASE | {"models", "domain", "adapters", "settings", "observability", "handlers"},
    "cli": BASE | {"models", "domain", "adapters", "cli"},
}
OUTSIDE = {"tests", "bench", "tools"}


def source_modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for base, package in ((ROOT / "lambdas", PACKAGE), (ROOT, "sandbox"), (ROOT, "testsupport")):
        for path in sorted((base / package).rglob("*.py")):
            parts = list(path.relative_to(base).with_suffix("").parts)
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


MODULES = source_modules()


def imported(path: Path, module: str, runtime_only: bool) -> set[str]:
    """What the module imports: with `runtime_only`, at import time only (not under TYPE_CHECKING, not
    inside a function). `from package import submodule` is an import of the submodule."""
    names: set[str] = set()
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                visit(node.orelse if runtime_only else [*node.body, *node.orelse])
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                if not runtime_only:
                    visit(node.body)
            elif isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(
                        [*package[: len(package) - node.level + 1], *([node.module] if node.module else [])]
                    )
                named = {f"{base}.{alias.name}" for alias in node.names}
                names.update(named & MODULES.keys())
                if not named <= MODULES.keys():  # a name defined in `base`, not a submodule
                    names.add(base)
            else:  # a class body, try, with, if: run at import time
                for field in ("body", "orelse", "finalbody", "handlers"):
                    inner = getattr(node, field, None)
                    if isinstance(inner, list):
                        visit(inner)

    visit(ast.parse(path.read_text(encoding="utf-8")).body)
    return names - {module}


def layer(module: str) -> str:
    parts = module.split(".")
    if parts[0] != PACKAGE:
        return parts[0]
    return parts[1] if len(parts) > 1 else "root"


def test_the_graph_is_read_from_every_package():
    layers = {layer(module) for module in MODULES}
    assert set(MAY_IMPORT) | {"sandbox", "testsupport"} == layers


def test_no_cycle_at_import_time():
    edges = {module: imported(path, module, True) & MODULES.keys() for module, path in MODULES.items()}
    cycles: list[list[str]] = []
    done: set[str] = set()

    def walk(module: str, trail: list[str]) -> None:
        if module in trail:
            cycles.append([*trail[trail.index(module) :], module])
            return
        if module in done:
            return
        for target in sorted(edges[module]):
            walk(target, [*trail, module])
        done.add(module)

    for module in sorted(edges):
        walk(module, [])
    assert cycles == []


@pytest.mark.parametrize("module", sorted(m for m in MODULES if layer(m) in MAY_IMPORT))
def test_the_lambda_package_never_imports_upward(module):
    own = imported(MODULES[module], module, runtime_only=False)
    upward = sorted(
        name
        for name in own
        if (name == PACKAGE or name.startswith(f"{PACKAGE}.")) and layer(name) not in MAY_IMPORT[layer(module)]
    )
    outside = sorted(name for name in own if name.split(".")[0] in {"sandbox", "testsupport", *OUTSIDE})
    assert (upward, outside) == ([], [])


@pytest.mark.parametrize("package", ["sandbox", "testsupport"])
def test_the_sandbox_and_testsupport_import_nothing_from_above(package):
    above = {"testsupport", *OUTSIDE} if package == "sandbox" else OUTSIDE
    found = sorted(
        f"{module}: {name}"
        for module, path in MODULES.items()
        if layer(module) == package
        for name in imported(path, module, runtime_only=False)
        if name.split(".")[0] in above
    )
    assert found == []
