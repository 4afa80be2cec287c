"""Scenarios for the sandbox, built from code: what they are made of, and what the pipeline must make of
them. One module per audience:

- `clock.py`: one scenario's SageMaker clock (ticks, offsets scaled to the tick) and its time format;
- `jobs.py`: one AutoML job as SageMaker answers for it (request, Describe responses per tick, candidates);
- `clarify.py`: Clarify's output under a job's Explainability prefix (analysis.json, reports);
- `plan.py`: the builder, `ScenarioPlan`: the jobs, objects, delivery and times, recorded as inputs;
- `expectation.py`: the oracle, `expectation(plan)`: records, notifications and history derived from a plan;
- `rendering.py`: a plan as the simulator's scenario file, and JSON as the repository writes it.
- `burst.py`: a burst under a new account's Lambda quota (many jobs ending in one minute, a `lambda` block).

Imports run one way: clock → jobs → clarify → plan → expectation, rendering, burst. No expectation is computed in
the builder, and nothing here runs the pipeline (tools/scenario_catalog.py names the scenarios).
"""
