"""What tests, benches and tools share: fakes of the domain's ports, scenarios built from code (their
plans, the oracle of their expectations, their files: `scenarios/`), and the reset of a process's warm
function state. Imports run one way: tests/bench/tools → testsupport → sandbox → lambdas.

No test cases live here, and nothing in `lambdas/`, `infra/` or `sandbox/` imports this package. A fake
behaves like the adapter it stands for: the contract suites in `tests/integration/` run against both, so
a rule is never copied into a fake that could drift from the real one."""
