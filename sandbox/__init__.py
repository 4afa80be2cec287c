"""The local sandbox: the whole pipeline on moto server and our AutoML simulator (DESIGN section 6).

It imports the Lambda code as the installed `autopilot_reports` package (`make setup` installs the
project in editable mode), exactly as Lambda imports it from the code asset's root."""
