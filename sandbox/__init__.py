"""The local sandbox: the whole pipeline on local emulators, with no AWS account (docs/design.md §6).

Here live the emulators (moto server, our AutoML simulator in `simulator.py`, AWS's DynamoDB Local in
`dynamodb_local.py`), the reading of the synthesized template the resources are created from
(`template.py`), scenario files (`scenario.py`, a public contract) and their clock (`timeline.py`), the run
itself (the tick loop, invoking the real handlers as Lambda would, event and stream delivery, the output
files), what it observes and injects at the boto3 layer (`aws_hooks.py`), and what it prints and serves.
It imports the Lambda code as the installed `autopilot_reports` package (`make setup` installs the project
in editable mode), exactly as Lambda imports it from the code asset's root. Imports run one way: sandbox →
lambdas. Nothing here imports `testsupport`, `bench`, `tools` or `tests`, and the handlers hold no branch
for the sandbox: it reaches them only through their environment, the clock seam and boto3's endpoints."""
