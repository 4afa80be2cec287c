"""The tests, each at the lowest layer that can catch its bug.

`unit/` (pure: domain, models, rendering, with fakes and the network blocked), `integration/` (adapters and
handlers against moto in process and DynamoDB Local, the CLI, least privilege under each handler's
synthesized IAM policy), `infra/` (the synthesized template's properties, cdk-nag, checkov, cfn-lint, and
that the docs' commands synthesize), `e2e/` (scenario files through the whole sandbox) and `bench/` (the
slow load test, run by `make bench`). No test needs the internet, Docker or an AWS account, and none asserts
nothing. What tests share with benches and tools (fakes, the scenario builder, process reset) comes from
`testsupport`; a folder's own fixtures stay in its conftest.py. Speed targets belong in `bench/`, never in
timed tests."""
