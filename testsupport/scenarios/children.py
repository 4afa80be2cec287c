"""A scenario job's child jobs (`jobs[].children`): the Describe{Training,Processing,Transform}Job responses of
the training, processing and transform jobs its candidates' steps name, keyed by ARN.

SYNTHETIC, and built to be read as such: no public, licensed response of a job Autopilot launched was
found, nor any real DescribeProcessingJob response (tests/e2e/recordings/README.md, "Child jobs"). The
members and their order follow the real responses kept in tests/e2e/recordings/children/: a managed-spot
DescribeTrainingJob (aws-samples/bioimage-search, Apache-2.0) and a Completed DescribeTransformJob
(aws/amazon-sagemaker-examples, Apache-2.0); DescribeProcessingJob's follow botocore's
`DescribeProcessingJobResponse` (required: ProcessingJobName, ProcessingResources, AppSpecification,
ProcessingJobArn, ProcessingJobStatus, CreationTime; `ProcessingStartTime`/`ProcessingEndTime`), and
`AutoMLJobArn` is the member botocore's model gives all three ("the ARN of an AutoML job associated
with this ..."). Names, images, times and instances are invented.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from testsupport.scenarios.clock import iso
from testsupport.scenarios.jobs import BUCKET, SKLEARN_IMAGE, XGBOOST_IMAGE, Doc, Job, role_arn_of

VOLUME_GB = 30


@dataclass(frozen=True)
class ChildRun:
    """How one child job ran: on which instances, when (seconds after the AutoML job's creation) and for how
    long; a training job's billable time (default: all of it) and whether it ran on managed spot."""

    instance_type: str
    instance_count: int
    start_after: float
    seconds: float
    billable_seconds: float | None = None
    spot: bool = False


def child_steps(job: Job) -> dict[str, tuple[str, str]]:
    """The job's distinct child jobs, by ARN: (step type, name), as its candidates' steps name them."""
    steps: dict[str, tuple[str, str]] = {}
    for candidate in job.candidates():
        for step in candidate["CandidateSteps"]:
            steps.setdefault(step["CandidateStepArn"], (step["CandidateStepType"], step["CandidateStepName"]))
    return steps


def children_of(job: Job, runs: Mapping[str, ChildRun]) -> Doc:
    """The Describe responses of the child jobs named in `runs` (by name); a child job of the job not in
    `runs` has none: the simulator answers that it does not exist."""
    created = datetime.fromisoformat(job.describe()[0]["CreationTime"])
    children: Doc = {}
    for arn, (step_type, name) in child_steps(job).items():
        run = runs.get(name)
        if run is None:
            continue
        start = created + timedelta(seconds=run.start_after)
        build = BUILDERS[step_type.rsplit("::", 1)[1]]
        children[arn] = build(job, arn, name, created, start, run)
    unknown = set(runs) - {name for _, name in child_steps(job).values()}
    if unknown:
        raise ValueError(f"{job.name} has no child jobs named {sorted(unknown)}")
    return children


def training_job(job: Job, arn: str, name: str, created: datetime, start: datetime, run: ChildRun) -> Doc:
    end = start + timedelta(seconds=run.seconds)
    billable = run.seconds if run.billable_seconds is None else run.billable_seconds
    output = f"{job.job_prefix}/tuning/{name}/output"
    stopping: Doc = {"MaxRuntimeInSeconds": 3600 * 4}
    if run.spot:
        stopping["MaxWaitTimeInSeconds"] = 3600 * 8
    return {
        "TrainingJobName": name,
        "TrainingJobArn": arn,
        "AutoMLJobArn": job.arn,
        "ModelArtifacts": {"S3ModelArtifacts": f"{output}/model.tar.gz"},
        "TrainingJobStatus": "Completed",
        "SecondaryStatus": "Completed",
        "AlgorithmSpecification": {"TrainingImage": XGBOOST_IMAGE, "TrainingInputMode": "File"},
        "RoleArn": role_arn_of(job.account),
        "OutputDataConfig": {"KmsKeyId": "", "S3OutputPath": output},
        "ResourceConfig": {
            "InstanceType": run.instance_type,
            "InstanceCount": run.instance_count,
            "VolumeSizeInGB": VOLUME_GB,
        },
        "StoppingCondition": stopping,
        "CreationTime": iso(start - timedelta(seconds=90)),
        "TrainingStartTime": iso(start),
        "TrainingEndTime": iso(end),
        "LastModifiedTime": iso(end + timedelta(seconds=30)),
        "EnableNetworkIsolation": False,
        "EnableInterContainerTrafficEncryption": True,
        "EnableManagedSpotTraining": run.spot,
        "TrainingTimeInSeconds": int(run.seconds),
        "BillableTimeInSeconds": int(billable),
    }


def processing_job(job: Job, arn: str, name: str, created: datetime, start: datetime, run: ChildRun) -> Doc:
    end = start + timedelta(seconds=run.seconds)
    return {
        "ProcessingInputs": [
            {
                "InputName": "data",
                "AppManaged": False,
                "S3Input": {
                    "S3Uri": f"s3://{BUCKET}/datasets/{job.dataset}/train/",
                    "LocalPath": "/opt/ml/processing/input/data",
                    "S3DataType": "S3Prefix",
                    "S3InputMode": "File",
                    "S3DataDistributionType": "FullyReplicated",
                },
            }
        ],
        "ProcessingJobName": name,
        "ProcessingResources": {
            "ClusterConfig": {
                "InstanceCount": run.instance_count,
                "InstanceType": run.instance_type,
                "VolumeSizeInGB": VOLUME_GB,
            }
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        "AppSpecification": {"ImageUri": SKLEARN_IMAGE},
        "RoleArn": role_arn_of(job.account),
        "ProcessingJobArn": arn,
        "ProcessingJobStatus": "Completed",
        "ProcessingEndTime": iso(end),
        "ProcessingStartTime": iso(start),
        "LastModifiedTime": iso(end + timedelta(seconds=20)),
        "CreationTime": iso(max(created, start - timedelta(seconds=60))),
        "AutoMLJobArn": job.arn,
    }


def transform_job(job: Job, arn: str, name: str, created: datetime, start: datetime, run: ChildRun) -> Doc:
    end = start + timedelta(seconds=run.seconds)
    return {
        "CreationTime": iso(start - timedelta(seconds=120)),
        "DataProcessing": {"InputFilter": "$", "JoinSource": "None", "OutputFilter": "$"},
        "Environment": {},
        "ModelName": f"{name}-model",
        "TransformEndTime": iso(end),
        "TransformInput": {
            "CompressionType": "None",
            "ContentType": "text/csv",
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"{job.job_prefix}/preprocessed-data/"}},
            "SplitType": "Line",
        },
        "TransformJobArn": arn,
        "TransformJobName": name,
        "TransformJobStatus": "Completed",
        "TransformOutput": {"AssembleWith": "Line", "KmsKeyId": "", "S3OutputPath": f"{job.job_prefix}/transformed/"},
        "TransformResources": {"InstanceCount": run.instance_count, "InstanceType": run.instance_type},
        "TransformStartTime": iso(start),
        "AutoMLJobArn": job.arn,
    }


BUILDERS = {"TrainingJob": training_job, "ProcessingJob": processing_job, "TransformJob": transform_job}
