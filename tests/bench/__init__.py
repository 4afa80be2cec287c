"""The slow load test (`pytest -m slow`, run by `make bench`): 1,000 jobs through the sandbox, every event
twice."""
