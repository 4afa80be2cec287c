"""autopilot-reports: reports on Amazon SageMaker Autopilot (AutoML) jobs.

The Lambda package; its parent folder `lambdas/` is the functions' code asset and import root. Its layers
import one way (docs/design.md §9): `constants` (every shared name, default and bound; no imports) and
`clock` (the one clock seam), then `models` (pydantic: our events, the record, the digest), `domain` (the
rules; no boto3), `adapters` (boto3 behind the domain's ports) and `handlers` (the thin Lambda entry
points), with `settings` and `observability` beside them. `cli/` is the `autopilot-reports` command: it
lives here to share the models and the table's mapping, and is excluded from the Lambda asset. At run time
nothing here may need more than boto3, Powertools and pydantic (the layer), and nothing imports `infra`,
`sandbox`, `testsupport`, `bench` or `tests`."""

__version__ = "0.1.0"  # the one home of the version: pyproject.toml reads it (`autopilot-reports --version`)
