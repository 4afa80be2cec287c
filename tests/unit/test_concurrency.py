"""The figures of Lambda's concurrency in scenario time (sandbox/concurrency.py): the most executions each
function and the whole account held at once, and how long the account had none left. The model itself runs
end to end in tests/e2e/test_burst.py."""

from __future__ import annotations

from sandbox.concurrency import Execution, peak_concurrency, saturated_seconds


def test_an_execution_that_ends_frees_its_slot_before_one_that_starts_then_takes_it():
    back_to_back = [Execution("Reporter", 0, 2), Execution("Reporter", 2, 4)]
    assert peak_concurrency(back_to_back) == {"Reporter": 1, "account": 1}


def test_peaks_are_counted_per_function_and_for_the_account():
    executions = [
        Execution("Reporter", 0, 20),
        Execution("Reporter", 5, 25),
        Execution("Watcher", 10, 15),
        Execution("Notifier", 30, 31),
    ]
    assert peak_concurrency(executions) == {"Notifier": 1, "Reporter": 2, "Watcher": 1, "account": 3}


def test_the_account_is_saturated_while_every_execution_is_held():
    executions = [Execution("Reporter", 0, 10), Execution("Reporter", 4, 12), Execution("Watcher", 6, 8)]
    assert saturated_seconds(executions, limit=2) == 6.0  # two or more held from 4 to 10
    assert saturated_seconds(executions, limit=3) == 2.0  # all three from 6 to 8
    assert saturated_seconds(executions, limit=10) == 0.0
