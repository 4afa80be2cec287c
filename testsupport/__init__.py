"""What tests, benches and tools share: fakes of the domain's ports, scenarios built from code (their
plans, the oracle of their expectations, their files: `scenarios/`), and the reset of a process's warm
function state. Imports run one way: tests/bench/tools → testsupport → sandbox → lambdas."""
