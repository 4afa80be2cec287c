"""Which way an objective metric is better, from the strongest evidence a response holds.

AWS names metrics more than one way. Since 2023 a candidate's `FinalAutoMLJobObjectiveMetric` says
`MetricName: "MSE", Type: "Minimize"`; responses recorded before then say `validation:mse` with no
`Type` (the algorithm's own metric name), and enums grow: a name we do not know is not an error. The
direction decides the leaderboard's sort order, so it is decided in one place, in this order:
1. the metric's own `Type` (Maximize / Minimize);
2. the job's objective (`AutoMLJobObjective`, then `ResolvedAttributes.AutoMLJobObjective`);
3. the metric's `StandardMetricName`, then its name, normalized (`validation:f1_binary` -> F1).
Where none of them decides, the direction is unknown and the record says so; nobody guesses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAXIMIZE, MINIMIZE = "Maximize", "Minimize"
DIRECTIONS = (MAXIMIZE, MINIMIZE)

# Autopilot's standard metrics (AutoMLMetricExtendedEnum) and their direction.
STANDARD_DIRECTIONS = {
    "Accuracy": MAXIMIZE,
    "BalancedAccuracy": MAXIMIZE,
    "AUC": MAXIMIZE,
    "F1": MAXIMIZE,
    "F1macro": MAXIMIZE,
    "Precision": MAXIMIZE,
    "PrecisionMacro": MAXIMIZE,
    "Recall": MAXIMIZE,
    "RecallMacro": MAXIMIZE,
    "R2": MAXIMIZE,
    "Rouge1": MAXIMIZE,
    "Rouge2": MAXIMIZE,
    "RougeL": MAXIMIZE,
    "RougeLSum": MAXIMIZE,
    "MSE": MINIMIZE,
    "RMSE": MINIMIZE,
    "MAE": MINIMIZE,
    "MAPE": MINIMIZE,
    "MASE": MINIMIZE,
    "WAPE": MINIMIZE,
    "LogLoss": MINIMIZE,
    "AverageWeightedQuantileLoss": MINIMIZE,
    "InferenceLatency": MINIMIZE,
    "Perplexity": MINIMIZE,
    "ValidationLoss": MINIMIZE,
    "TrainingLoss": MINIMIZE,
}
# Algorithm metric names (XGBoost, Linear Learner, MLP, AutoGluon) as pre-2023 responses give them,
# lowercased, without their `validation:` / `train:` / `test:` prefix.
ALGORITHM_NAMES = {
    "accuracy": "Accuracy",
    "binary_classification_accuracy": "Accuracy",
    "multiclass_accuracy": "Accuracy",
    "balanced_accuracy": "BalancedAccuracy",
    "auc": "AUC",
    "roc_auc": "AUC",
    "f1": "F1",
    "f1_binary": "F1",
    "binary_f_beta": "F1",
    "binary_f1": "F1",
    "f1_macro": "F1macro",
    "macro_f_beta": "F1macro",
    "macro_f1": "F1macro",
    "precision": "Precision",
    "binary_precision": "Precision",
    "precision_macro": "PrecisionMacro",
    "macro_precision": "PrecisionMacro",
    "recall": "Recall",
    "binary_recall": "Recall",
    "recall_macro": "RecallMacro",
    "macro_recall": "RecallMacro",
    "r2": "R2",
    "mse": "MSE",
    "rmse": "RMSE",
    "mae": "MAE",
    "absolute_loss": "MAE",
    "mape": "MAPE",
    "mase": "MASE",
    "wape": "WAPE",
    "logloss": "LogLoss",
    "log_loss": "LogLoss",
    "mlogloss": "LogLoss",
    "cross_entropy": "LogLoss",
    "multiclass_cross_entropy": "LogLoss",
    "binary_classification_cross_entropy": "LogLoss",
    "weighted_quantile_loss": "AverageWeightedQuantileLoss",
    "perplexity": "Perplexity",
}
# Algorithm metrics with a known direction but no standard metric of their own.
ALGORITHM_DIRECTIONS = {
    "error": MINIMIZE,  # XGBoost's binary error rate
    "merror": MINIMIZE,  # XGBoost's multiclass error rate
    "objective_loss": MINIMIZE,  # Linear Learner
    "loss": MINIMIZE,
    "multiclass_top_k_accuracy": MAXIMIZE,
}
_SET_PREFIX = re.compile(r"^(?:validation|train|training|test)[:_]", re.IGNORECASE)
_LOWERED_STANDARD = {name.lower(): name for name in STANDARD_DIRECTIONS}


@dataclass(frozen=True)
class Direction:
    """The decided direction (None: unknown) and what decided it, in words for the record."""

    direction: str | None
    basis: str

    @property
    def descending(self) -> bool:
        """Best first means highest first; only meaningful when the direction is known."""
        return self.direction == MAXIMIZE


def standard_metric(name: str | None) -> str | None:
    """The standard metric a name stands for (`validation:mse` -> MSE, `F1macro` -> F1macro), or None."""
    if not name:
        return None
    if name in STANDARD_DIRECTIONS:
        return name
    bare = _bare(name)
    return _LOWERED_STANDARD.get(bare) or ALGORITHM_NAMES.get(bare)


def _bare(name: str) -> str:
    return _SET_PREFIX.sub("", name.strip()).lower()


def _direction_of(name: str | None) -> tuple[str, str] | None:
    """(direction, what the name stands for) from a metric's name alone, or None."""
    standard = standard_metric(name)
    if standard is not None:
        return STANDARD_DIRECTIONS[standard], standard
    direction = ALGORITHM_DIRECTIONS.get(_bare(name)) if name else None
    return (direction, f"an algorithm metric to {direction.lower()}") if direction else None


def decide(
    metric_type: str | None,
    job_objective: str | None,
    standard_name: str | None,
    metric_name: str | None,
) -> Direction:
    """The direction from the strongest evidence present (the module docstring gives the order)."""
    if metric_type in DIRECTIONS:
        return Direction(metric_type, f"the metric's Type ({metric_type})")
    for source, name in (
        ("the job's objective", job_objective),
        ("the metric's standard name", standard_name),
        ("the metric's name", metric_name),
    ):
        known = _direction_of(name)
        if known is not None:
            return Direction(known[0], f"{source} ({name} is {known[1]})")
    named = metric_name or job_objective or "none"
    return Direction(None, f"no Type, and the metric {named!r} is not one whose direction is known")
