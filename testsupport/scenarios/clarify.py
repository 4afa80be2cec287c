"""SageMaker Clarify's output under a job's Explainability prefix, as scenario objects: the explainability
`analysis.json` (kernel SHAP per label key) and the reports Clarify writes beside it.

The shapes follow what Clarify really writes (docs/design.md §4.1); every feature, label and value is invented.
What the pipeline must make of a valid analysis.json is the oracle's (testsupport/scenarios/expectation.py).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from testsupport.scenarios.jobs import Doc, Job

REPORTS = ("pdf", "html", "ipynb")  # the reports Clarify writes beside analysis.json

CHURN_FEATURES = (
    "tenure_months monthly_charges total_charges contract_type payment_method internet_service support_calls_90d "
    "num_products paperless_billing age_band region last_login_days"
).split()


def shap_values(seed: str, features: Sequence[str], low: float = 0.002, high: float = 0.09) -> dict[str, float]:
    """Mean |SHAP| per feature (non-negative, a few dominant), in the order the features are given."""
    rng = random.Random(seed)
    return {f: round(low + (high - low) * rng.random() ** 3, 10) for f in features}


def analysis_doc(labels: dict[str, dict[str, float]], expected: dict[str, Any]) -> Doc:
    """A Clarify explainability analysis.json."""
    kernel_shap = {
        label: {"global_shap_values": values, "expected_value": expected[label]} for label, values in labels.items()
    }
    return {"version": "1.0", "explanations": {"kernel_shap": kernel_shap}}


def labels_doc(job: Job, features: Sequence[str], expected: dict[str, Any]) -> Doc:
    """A multi-label analysis.json: one label key per entry of `expected`, each with its own values."""
    return analysis_doc({label: shap_values(f"{job.name}/{label}", features) for label in expected}, expected)


def text(body: str) -> Doc:
    """A scenario object stored as this raw body, not as JSON (docs/design.md §6.2)."""
    return {"text": body}


def report_objects(prefix: str, title: str, kinds: Sequence[str] = REPORTS) -> Doc:
    """Small placeholder Clarify reports beside analysis.json."""
    objects: Doc = {}
    if "pdf" in kinds:
        objects[f"{prefix}/report.pdf"] = text(f"%PDF-1.4\n% placeholder explainability report: {title}\n%%EOF\n")
    if "html" in kinds:
        objects[f"{prefix}/report.html"] = text(
            f"<!DOCTYPE html><html><head><title>{title}</title></head>"
            "<body><h1>Model explainability</h1><p>placeholder</p></body></html>"
        )
    if "ipynb" in kinds:
        objects[f"{prefix}/report.ipynb"] = {
            "cells": [{"cell_type": "markdown", "metadata": {}, "source": [f"# {title}\n"]}],
            "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
    return objects


def clarify(job: Job, doc: object, reports: Sequence[str] = REPORTS, folder: str | None = None) -> Doc:
    """analysis.json and its reports under the job's Explainability prefix (optionally one folder deeper)."""
    where = f"{job.explainability_prefix}/{folder}" if folder else job.explainability_prefix
    return {f"{where}/analysis.json": doc} | report_objects(where, f"{job.name} explainability", reports)
