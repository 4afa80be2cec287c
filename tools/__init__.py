"""Project tools, run by hand or by `make`: `python -m tools.make_scenarios` writes the scenario files and
their expectations from the catalog in `scenario_catalog.py` (`--check` verifies them), and
`python -m tools.fetch_dynamodb_local` fetches the pinned DynamoDB Local for the sandbox (`make setup`).
Tools may import `testsupport` and `sandbox`; nothing in `lambdas/`, `infra/`, `sandbox/` or
`testsupport/` imports `tools`, and no tool does its work at import time."""
