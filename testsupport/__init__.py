"""What tests, benches and tools share: fakes of the domain's ports, the scenario builder, and the
reset of a process's warm function state. Imports run one way: tests/bench/tools → testsupport →
sandbox → lambdas."""
