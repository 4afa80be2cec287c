"""Which way an objective is better (domain/objective.py): Type, then the job's objective, then the name."""

import pytest

from autopilot_reports.domain.objective import MAXIMIZE, MINIMIZE, decide, standard_metric


@pytest.mark.parametrize(
    ("name", "standard"),
    [
        ("validation:mse", "MSE"),
        ("validation:rmse", "RMSE"),
        ("validation:mae", "MAE"),
        ("validation:logloss", "LogLoss"),
        ("validation:accuracy", "Accuracy"),
        ("validation:binary_classification_accuracy", "Accuracy"),
        ("validation:f1", "F1"),
        ("validation:f1_binary", "F1"),
        ("validation:binary_f_beta", "F1"),
        ("validation:auc", "AUC"),
        ("train:balanced_accuracy", "BalancedAccuracy"),
        ("test:r2", "R2"),
        ("F1macro", "F1macro"),
        ("f1macro", "F1macro"),
        ("LogLoss", "LogLoss"),
        ("validation:error", None),
        ("house_score", None),
        ("", None),
    ],
)
def test_names_as_aws_gave_them_map_to_standard_metrics(name: str, standard: str | None) -> None:
    assert standard_metric(name) == standard


@pytest.mark.parametrize("name", ["validation:mse", "validation:rmse", "validation:mae", "validation:logloss"])
def test_regression_and_loss_names_without_type_rank_lowest_first(name: str) -> None:
    assert decide(None, None, None, name).direction == MINIMIZE


@pytest.mark.parametrize(
    "name",
    ["validation:accuracy", "validation:f1", "validation:f1_binary", "validation:auc", "validation:binary_f_beta"],
)
def test_classification_names_without_type_rank_highest_first(name: str) -> None:
    assert decide(None, None, None, name).direction == MAXIMIZE


def test_the_strongest_evidence_decides() -> None:
    # A stated Type beats every name; the job's objective beats the metric's own name.
    assert decide("Minimize", "Accuracy", "Accuracy", "validation:accuracy").direction == MINIMIZE
    assert decide(None, "MSE", None, "validation:accuracy").direction == MINIMIZE
    assert decide(None, None, "LogLoss", "validation:f1").direction == MINIMIZE
    assert decide(None, None, None, "validation:error").direction == MINIMIZE


def test_nothing_decides_an_unknown_metric_and_the_basis_says_so() -> None:
    undecided = decide(None, None, None, "validation:house_score")
    assert undecided.direction is None
    assert "validation:house_score" in undecided.basis
