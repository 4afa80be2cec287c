"""Why a job ended, in one plain sentence: the limit or error its terminal secondary status names, and
what to do about it. Null before the job ends; a status we do not know gets a generic sentence."""

from __future__ import annotations

from collections.abc import Callable

from autopilot_reports.domain.description import JobDescription
from autopilot_reports.models.common import hours_minutes


def why_ended(job: JobDescription) -> str | None:
    if not job.is_terminal:
        return None
    explain = _SENTENCES.get(job.secondary_status)
    if explain is not None:
        return explain(job)
    return (
        f"The job ended {job.status} with secondary status {job.secondary_status}; "
        "see the job in the SageMaker console for details."
    )


def _max_candidates(job: JobDescription) -> str:
    limit = f" ({job.max_candidates} candidates)" if job.max_candidates is not None else ""
    return (
        f"Autopilot stopped after trying as many candidates as the job allows{limit}; raise "
        "CompletionCriteria.MaxCandidates to let it search further."
    )


def _max_runtime(job: JobDescription) -> str:
    limit = f" ({hours_minutes(job.max_runtime_seconds)})" if job.max_runtime_seconds is not None else ""
    return (
        f"Autopilot stopped when the job's time limit{limit} ran out; raise "
        "CompletionCriteria.MaxAutoMLJobRuntimeInSeconds to let more candidates train."
    )


_SENTENCES: dict[str, Callable[[JobDescription], str]] = {
    "MaxCandidatesReached": _max_candidates,
    "MaxAutoMLJobRuntimeReached": _max_runtime,
    "Completed": lambda job: "Autopilot finished its search; the best candidate is ready to deploy.",
    "CandidateDefinitionsGenerated": lambda job: (
        "The job only generated candidate definitions (GenerateCandidateDefinitionsOnly); run the "
        "candidate definition notebook to train them."
    ),
    "ExplainabilityError": lambda job: (
        "The candidates trained, but the explainability report failed; the best candidate is usable, and "
        "Clarify can be run on it again."
    ),
    "ModelInsightsError": lambda job: (
        "The candidates trained, but the model insights report failed; the best candidate is usable."
    ),
    "ModelDeploymentError": lambda job: (
        "The candidates trained, but deploying the best one to an endpoint failed; check the endpoint "
        "quotas and deploy it from the console."
    ),
    "Stopped": lambda job: (
        "The job was stopped (StopAutoMLJob) before it finished; the candidates trained so far remain."
    ),
    "Failed": lambda job: (
        "The job failed; read the failure reason, fix the input data or the job settings, and start a new job."
    ),
}
