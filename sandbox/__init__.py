"""The local sandbox: the whole pipeline on moto server and our AutoML simulator (DESIGN section 6).

A world over deployments. `runner.py` is the world (the scenario clock, the tick loop, CloudTrail, the
scenario's objects) on the emulators of `emulators.py`; `deployment.py` is one deployment of the stack at
a place (`place.py`), read from its template (`template.py`), its functions run by `lambda_runtime.py`,
its rules by `event_delivery.py`, its table's stream by `stream_delivery.py`, its files written by
`outputs.py`. Imports run one way: the world imports the deployment, the deployment its pieces, never
back. It imports the Lambda code as the installed `autopilot_reports` package (`make setup` installs the
project in editable mode), exactly as Lambda imports it from the code asset's root."""
