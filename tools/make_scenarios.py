#!/usr/bin/env python3
"""Write the sandbox's scenario files and the e2e expectations, deterministically.

    python -m tools.make_scenarios            # (re)write every file (from the project's root)
    python -m tools.make_scenarios --check    # exit 1 if any file differs from what this command writes

(`python tools/make_scenarios.py` works too.) Every file is validated as the sandbox loads it (botocore's
shapes) before it is written.

Outputs:
- `sandbox/scenarios/demo.json`: the demo (the format of docs/design.md §6.2).
- `tests/e2e/scenarios/<name>.json` and `<name>.expect.json`: one scenario per behaviour under test, with
  the records, leaderboards, notifications and history the pipeline must produce (docs/design.md §4, §4.1
  and §5).

The scenarios are in `tools/scenario_catalog.py`; they are built with `testsupport/scenarios/` (the plan
of a scenario, the oracle that derives its expectation, the rendering of both).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file: the project's root is not on sys.path yet
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sandbox.scenario import load_scenario  # noqa: E402
from testsupport.scenarios.expectation import expectation  # noqa: E402
from testsupport.scenarios.plan import ScenarioPlan  # noqa: E402
from testsupport.scenarios.rendering import render, scenario_document  # noqa: E402
from tools.scenario_catalog import CATALOG, COMPACT, demo  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEMO_PATH = ROOT / "sandbox" / "scenarios" / "demo.json"
E2E_DIR = ROOT / "tests" / "e2e" / "scenarios"


def outputs() -> dict[Path, str]:
    files = {DEMO_PATH: scenario_file(demo())}
    for name, build in CATALOG.items():
        plan = build()
        files[E2E_DIR / f"{name}.json"] = scenario_file(plan, name in COMPACT)
        files[E2E_DIR / f"{name}.expect.json"] = render(expectation(plan))
    return files


def scenario_file(plan: ScenarioPlan, compact: bool = False) -> str:
    document = scenario_document(plan)
    load_scenario(document)  # refuses what AWS could not return, naming the job, tick and field
    return render(document, compact)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only report files that differ; write nothing")
    args = parser.parse_args(argv)
    stale = []
    for path, content in outputs().items():
        current = path.read_text() if path.exists() else None
        if current == content:
            continue
        stale.append(path)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content)
    for path in stale:
        print(f"{'stale' if args.check else 'wrote'}: {path.relative_to(ROOT)}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
