"""The local sandbox: the whole pipeline on local emulators, with no AWS account (docs/design.md §6).

Here live the emulators (`emulators.py`: moto server; our AutoML simulator in `simulator.py`; AWS's
DynamoDB Local in `dynamodb_local.py`), scenario files (`scenario.py`, a public contract) and their clock
(`timeline.py`), and a world over deployments. `runner.py` is the world (the scenario clock, the tick
loop), with what AWS does around the stack: CloudTrail's create events (`cloudtrail.py`) and the jobs'
objects in S3 (`artifacts.py`); `deployment.py` is one deployment of the stack at a place
(`place.py`), read from its template (`template.py`), its functions run by `lambda_runtime.py`, its rules
by `event_delivery.py`, its table's stream by `stream_delivery.py`, the queues its mappings read by
`queue_delivery.py`, its files written by `outputs.py`. With a scenario's `lambda` block, each place's
Lambda executions in scenario time are `concurrency.py`'s.
What it observes and injects at the boto3 layer is `aws_hooks.py`; what it prints and serves,
`printing.py`, `serve.py` and `front.py`. It imports the Lambda code as the installed `autopilot_reports`
package (`make setup` installs the project in editable mode), exactly as Lambda imports it from the code
asset's root. Imports run one way: the world imports the deployment, the deployment its pieces, never
back; sandbox → lambdas. Nothing here imports `testsupport`, `bench`, `tools` or `tests`, and the
handlers hold no branch for the sandbox: it reaches them only through their environment, the clock seam
and boto3's endpoints."""
