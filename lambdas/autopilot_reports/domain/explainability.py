"""The best candidate's explainability report (docs/design.md §4.1): find Clarify's analysis.json under the
Explainability prefix and turn its kernel SHAP values into top feature importances."""

from __future__ import annotations

import heapq
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from posixpath import basename, dirname
from typing import Any, cast

from autopilot_reports import constants as c
from autopilot_reports.domain.arns import arn_account
from autopilot_reports.domain.description import JobDescription
from autopilot_reports.domain.ports import ArtifactAccessError, ArtifactReader, StoredObject
from autopilot_reports.models.record import Explainability, ExplainabilityState, FeatureImportance

ANALYSIS_FILE = c.ANALYSIS_FILE
ARTIFACT_NAMES = {
    "analysis.json": "analysis",
    "report.pdf": "report_pdf",
    "report.html": "report_html",
    "report.ipynb": "report_ipynb",
}
MAX_LABELS = 100  # label keys kept on the record; more are summarised in a last entry
MAX_NAME_CHARS = 256  # a feature or label name longer than this is cut, with a marker
ACCOUNT_ID = re.compile(r"\d{12}")


class AnalysisError(Exception):
    """analysis.json cannot be turned into importances; `state` says whether it is missing or broken."""

    def __init__(self, state: ExplainabilityState, reason: str) -> None:
        super().__init__(reason)
        self.state = state
        self.reason = reason


@dataclass(frozen=True)
class FeatureSummary:
    top_features: list[FeatureImportance]
    feature_count: int
    labels: list[str]


def collect_explainability(job: JobDescription, reader: ArtifactReader, top_n: int, max_bytes: int) -> Explainability:
    """The explainability part of a job's record; reads S3 only once the job has ended with a candidate."""
    prefix = job.explainability_prefix
    if job.secondary_status == c.EXPLAINABILITY_ERROR_STATUS:
        return _unavailable(
            ExplainabilityState.ERROR, prefix, "SageMaker reported ExplainabilityError: no explainability report"
        )
    if not job.is_terminal:
        return _unavailable(ExplainabilityState.PENDING, prefix, f"job is {job.status}; collected when it ends")
    if job.best_candidate is None and job.status != "Completed":
        return _unavailable(
            ExplainabilityState.NOT_APPLICABLE, prefix, f"job {job.status} before a best candidate existed"
        )
    if job.is_time_series:
        return _unavailable(
            ExplainabilityState.MISSING, prefix, "time-series impact scores use another schema, not supported yet"
        )
    if not prefix:
        reason = (
            "the job has no BestCandidate, so no Explainability location"
            if job.best_candidate is None
            else "the best candidate has no Explainability location"
        )
        return _unavailable(ExplainabilityState.MISSING, None, reason)
    try:
        return _read_report(prefix, reader, top_n, max_bytes, _bucket_owner(job))
    except AnalysisError as error:
        return _unavailable(error.state, prefix, error.reason)


def _bucket_owner(job: JobDescription) -> str:
    """Autopilot writes to a bucket of the job's own account: a bucket of that name owned by anyone else is
    never read (ExpectedBucketOwner on every S3 call)."""
    account = arn_account(job.arn)
    if not ACCOUNT_ID.fullmatch(account):
        raise AnalysisError(ExplainabilityState.ERROR, f"the job's ARN names no account ({job.arn!r}): not read")
    return account


def _read_report(prefix: str, reader: ArtifactReader, top_n: int, max_bytes: int, owner: str) -> Explainability:
    bucket, key_prefix = split_s3_uri(prefix)
    key_prefix = key_prefix if key_prefix.endswith("/") or not key_prefix else key_prefix + "/"
    try:
        objects = reader.list_objects(bucket, key_prefix, owner)
        analysis, artifacts = find_analysis(objects)
        if analysis is None:
            what = "the prefix is empty" if not objects else f"no {ANALYSIS_FILE} among {len(objects)} objects"
            raise AnalysisError(ExplainabilityState.MISSING, f"{what} under {prefix}")
        _check_size(analysis.size, max_bytes)
        summary = summarize_analysis(_read_text(reader, bucket, analysis.key, max_bytes, owner), top_n)
    except ArtifactAccessError as error:
        raise AnalysisError(ExplainabilityState.ERROR, f"cannot read {prefix}: {error}") from error
    return Explainability(
        state=ExplainabilityState.AVAILABLE,
        s3_prefix=prefix,
        top_features=summary.top_features,
        feature_count=summary.feature_count,
        labels=summary.labels,
        artifacts={name: f"s3://{bucket}/{key}" for name, key in artifacts.items()},
    )


def _read_text(reader: ArtifactReader, bucket: str, key: str, max_bytes: int, owner: str) -> str:
    """The object as text; its bytes are freed when this returns, before the JSON is parsed (peak memory
    is the text and the parsed document, never the bytes as well)."""
    body = reader.read_object(bucket, key, max_bytes, owner)
    _check_size(len(body), max_bytes)
    try:
        return body.decode("utf-8-sig")  # Clarify writes UTF-8; a byte-order mark is tolerated
    except UnicodeDecodeError as error:
        raise AnalysisError(ExplainabilityState.ERROR, f"{ANALYSIS_FILE} is not UTF-8 ({error.reason})") from error


def _check_size(size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise AnalysisError(
            ExplainabilityState.ERROR, f"{ANALYSIS_FILE} is {size} bytes, over the {max_bytes}-byte cap"
        )


def _unavailable(state: ExplainabilityState, prefix: str | None, reason: str) -> Explainability:
    return Explainability(state=state, s3_prefix=prefix, reason=reason)


def split_s3_uri(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://") or len(uri) <= len("s3://"):
        raise AnalysisError(ExplainabilityState.ERROR, f"Explainability location {uri!r} is not an s3:// URI")
    bucket, _, key = uri[len("s3://") :].partition("/")
    return bucket, key


def find_analysis(objects: list[StoredObject]) -> tuple[StoredObject | None, dict[str, str]]:
    """The shallowest analysis.json (ties by key) and the report files beside it, by artifact name."""
    candidates = [obj for obj in objects if basename(obj.key) == ANALYSIS_FILE]
    if not candidates:
        return None, {}
    analysis = min(candidates, key=lambda obj: (obj.key.count("/"), obj.key))
    folder = dirname(analysis.key)
    artifacts = {
        ARTIFACT_NAMES[basename(obj.key)]: obj.key
        for obj in objects
        if dirname(obj.key) == folder and basename(obj.key) in ARTIFACT_NAMES
    }
    return analysis, artifacts


def summarize_analysis(text: str | bytes, top_n: int) -> FeatureSummary:
    """Mean kernel SHAP importance per feature over every label key (a missing feature counts as 0)."""
    document = _load_json(text)
    del text  # the parsed document is all that is needed from here on
    kernel_shap = _kernel_shap(document)
    totals: dict[str, float] = {}
    for label, explanation in kernel_shap.items():
        for feature, value in _global_shap_values(label, explanation).items():
            totals[feature] = totals.get(feature, 0.0) + value
    label_count = len(kernel_shap)
    ranked = heapq.nsmallest(top_n, ((-total / label_count, feature) for feature, total in totals.items()))
    labels = [_name(label) for label in kernel_shap]
    if len(labels) > MAX_LABELS:
        labels = [*labels[:MAX_LABELS], f"... and {len(labels) - MAX_LABELS} more labels"]
    return FeatureSummary(
        top_features=[FeatureImportance(feature=_name(feature), importance=-neg) for neg, feature in ranked],
        feature_count=len(totals),
        labels=labels,
    )


def _name(name: str) -> str:
    if len(name) <= MAX_NAME_CHARS:
        return name
    return name[: MAX_NAME_CHARS - 30] + f"... [{len(name) - MAX_NAME_CHARS + 30} characters cut]"


def _load_json(text: str | bytes) -> Any:
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise AnalysisError(ExplainabilityState.ERROR, f"{ANALYSIS_FILE} is not UTF-8 ({error.reason})") from error
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise AnalysisError(
            ExplainabilityState.ERROR, f"{ANALYSIS_FILE} is not valid JSON ({error.msg} at line {error.lineno})"
        ) from error
    except RecursionError as error:
        raise AnalysisError(ExplainabilityState.ERROR, f"{ANALYSIS_FILE} is nested too deeply to read") from error
    except ValueError as error:  # e.g. an integer longer than Python's digit limit
        raise AnalysisError(ExplainabilityState.ERROR, f"{ANALYSIS_FILE} is not readable JSON ({error})") from error


def _kernel_shap(document: Any) -> Mapping[str, Any]:
    if not isinstance(document, Mapping):
        raise AnalysisError(ExplainabilityState.ERROR, f"{ANALYSIS_FILE} is not a JSON object")
    if "explanations" not in document:
        raise AnalysisError(
            ExplainabilityState.MISSING, f"{ANALYSIS_FILE} has no explanations section (bias metrics only)"
        )
    explanations = document["explanations"]
    if not isinstance(explanations, Mapping):
        raise AnalysisError(ExplainabilityState.ERROR, f"{ANALYSIS_FILE}: explanations is not an object")
    if "kernel_shap" not in explanations:
        raise AnalysisError(ExplainabilityState.MISSING, f"{ANALYSIS_FILE} has no kernel_shap explanations")
    kernel_shap = explanations["kernel_shap"]
    if not isinstance(kernel_shap, Mapping) or not kernel_shap:
        raise AnalysisError(ExplainabilityState.ERROR, f"{ANALYSIS_FILE}: kernel_shap is not a non-empty object")
    return kernel_shap


def _global_shap_values(label: str, explanation: Any) -> dict[str, float]:
    values = explanation.get("global_shap_values") if isinstance(explanation, Mapping) else None
    if not isinstance(values, Mapping):
        raise AnalysisError(
            ExplainabilityState.ERROR, f"{ANALYSIS_FILE}: kernel_shap.{_name(label)} has no global_shap_values object"
        )
    for feature, value in values.items():
        if not _finite_number(value):
            raise AnalysisError(
                ExplainabilityState.ERROR,
                f"{ANALYSIS_FILE}: kernel_shap.{_name(label)}.global_shap_values.{_name(feature)} "
                "is not a finite number",
            )
    return cast(dict[str, float], values)  # checked above; no copy of a large mapping


def _finite_number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer too large for a float
        return False
