"""The domain: what the pipeline decides, free of any AWS SDK.

The watcher's detection and history import, the reporter's record (explainability, the objective's
direction, the family verdict, why a job ended), the notifier's claims, the digest, the rules several parts
must agree on (`rules.py`), the one gate per medium for data text (`untrusted.py`), the links and the
rendered messages (`notification/`). It reaches the world only through the small interfaces of
`ports.py`, which `adapters/` implements with boto3 and `testsupport/fakes.py` with fakes. Must not import
boto3 or botocore, `adapters`, `handlers`, `settings` or `cli`, nor read the environment; time comes from
`autopilot_reports.clock` or from the caller."""
