"""What the CLI shows of a job's cost (docs/design.md §4, `compute`): `show` gives compute time by instance
type and the estimate, `list` and `families` a cost column, in every output form; at 80 columns too."""

from __future__ import annotations

import json

from autopilot_reports.adapters.dynamodb_costs import DynamoDBCostStore
from autopilot_reports.models.record import Compute, EstimatedCost
from tests.integration.test_cli import (
    WINDOW,
    assert_readable_at,
    family_rows,
    record,
    run,
    save,
    save_family,
    store,  # noqa: F401 (a fixture)
)

COMPUTE = Compute(
    child_jobs={"training": 4, "processing": 1, "transform": 1},
    instance_seconds={"ml.m5.2xlarge": 1386.5, "ml.m5.4xlarge": 4824.5},
    billable_seconds=4651.0,
    spot_savings_seconds=1560.0,
    estimated_cost=EstimatedCost(
        amount=1.013624, currency="USD", basis="on-demand list price, us-east-1, fetched 2026-03-02"
    ),
    incomplete="1 of 6 child jobs could not be described: training job churn-t3 (Requested resource not found.)",
)


def costed(reports, name: str, compute: Compute = COMPUTE, first_of_family: bool = True) -> None:
    """The job's record as the reporter writes it, then its compute as the coster does."""
    rec = record(name, rich=True)
    save(reports, rec)
    if first_of_family:
        save_family(reports, rec.family, 1, (rec.job_name, 0.875))
    assert DynamoDBCostStore(reports.table_name, dynamodb=reports.client).finish(rec.job, rec.family, compute, False)


def test_show_gives_compute_time_by_instance_type_and_the_estimate(store, capsys, monkeypatch):  # noqa: F811
    monkeypatch.setenv("COLUMNS", "80")
    costed(store, "churn-2026-03")
    code, out, err = run(capsys, "--table", store.table_name, "show", "churn-2026-03", "--output", "table")
    assert (code, err) == (0, "")
    flat = " ".join(out.split())
    for shown in (
        "Compute and estimated cost",
        "estimated cost 1.01 USD (part)",
        "basis on-demand list price, us-east-1, fetched 2026-03-02",
        "child jobs 4 training, 1 processing, 1 transform",
        "billable time 1h 17m",
        "saved by spot 26m",
        "ml.m5.2xlarge 23m",
        "ml.m5.4xlarge 1h 20m",
        "Left out: 1 of 6 child jobs could not be described: training job churn-t3",
    ):
        assert shown in flat, shown
    assert_readable_at(out, 80, ["churn-2026-03"])

    code, out, _ = run(capsys, "--table", store.table_name, "show", "churn-2026-03", "--output", "json")
    assert json.loads(out)["compute"] == COMPUTE.model_dump(mode="json")


def test_a_terminal_job_not_costed_yet_says_so(store, capsys):  # noqa: F811
    save(store, record("fraud-2026-03", "Failed"))
    code, out, _ = run(capsys, "--table", store.table_name, "show", "fraud-2026-03", "--output", "table")
    assert code == 0 and "Compute: not costed yet" in out


def test_list_has_a_cost_column(store, capsys, monkeypatch):  # noqa: F811
    costed(store, "churn-2026-03")
    save(store, record("fraud-2026-03", "Failed", minutes=5))
    monkeypatch.setenv("COLUMNS", "160")
    code, out, _ = run(capsys, "--table", store.table_name, "list", *WINDOW, "--output", "table")
    assert code == 0 and "est. cost" in out.splitlines()[1]
    churn = next(line for line in out.splitlines() if line.startswith("churn-2026-03"))
    fraud = next(line for line in out.splitlines() if line.startswith("fraud-2026-03"))
    assert churn.rstrip().endswith("1.01 USD (part)") and fraud.rstrip().endswith("not yet")
    code, out, _ = run(capsys, "--table", store.table_name, "list", *WINDOW, "--output", "text")
    cost = {line.split("\t")[0]: line.split("\t")[-2:] for line in out.splitlines()}
    assert cost == {"churn-2026-03": ["1.013624", "USD"], "fraud-2026-03": ["-", "-"]}


def test_families_total_their_costed_jobs(store, capsys, monkeypatch):  # noqa: F811
    costed(store, "churn-2026-03")
    cheaper = COMPUTE.model_copy(update={"estimated_cost": COMPUTE.estimated_cost.model_copy(update={"amount": 0.5})})  # type: ignore[union-attr]
    costed(store, "churn-2026-04", cheaper, first_of_family=False)
    code, out, _ = run(capsys, "--table", store.table_name, "families", "--output", "text")
    (row,) = family_rows(out)
    assert (row["cost_amount"], row["cost_currency"], row["costed_jobs"]) == ("1.513624", "USD", "2")
    monkeypatch.setenv("COLUMNS", "80")
    code, out, _ = run(capsys, "--table", store.table_name, "families", "--output", "table")
    assert "1.51 USD (2 jobs)" in out
