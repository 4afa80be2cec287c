"""The `lambda` and `sqs` bodies: the record JSON (docs/design.md §4), for programs. Data is kept as
given (JSON escapes it); only when the whole SNS message would not fit are the copies shortened, with
a note saying so."""

from __future__ import annotations

from autopilot_reports.domain.notification.common import clip, omitted
from autopilot_reports.domain.notification.email import Detail
from autopilot_reports.models.record import FeatureImportance, ReportRecord


def record_json(record: ReportRecord, detail: Detail) -> str:
    if detail.record_features is None and detail.record_name_chars is None and detail.record_text_chars is None:
        return record.model_dump_json()
    explainability = record.explainability
    features = explainability.top_features
    if detail.record_features is not None:
        features = features[: detail.record_features]
    if detail.record_name_chars is not None:
        limit = detail.record_name_chars
        features = [
            FeatureImportance(feature=clip(item.feature, limit, omitted), importance=item.importance)
            for item in features
        ]
    changes: dict[str, object] = {"top_features": features}
    if features != explainability.top_features:
        note = (
            f"top_features shortened to {len(features)} of {len(explainability.top_features)} entries"
            f" (names to {detail.record_name_chars} characters) to fit the SNS message limit;"
            " the stored report has them all"
        )
        changes["reason"] = f"{explainability.reason}; {note}" if explainability.reason else note
    updates: dict[str, object] = {"explainability": explainability.model_copy(update=changes)}
    if detail.record_text_chars is not None:
        text_limit = detail.record_text_chars
        updates["partial_failures"] = [clip(message, text_limit, omitted) for message in record.partial_failures]
        if record.failure_reason:
            updates["failure_reason"] = clip(record.failure_reason, text_limit, omitted)
    return record.model_copy(update=updates).model_dump_json()
