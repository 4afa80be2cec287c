"""https links people can click: the job in the SageMaker console and its artifacts in the S3 console.

Partition-aware (aws, aws-cn, aws-us-gov), from the job ARN `arn:<partition>:sagemaker:<region>:...`.
Where the formats come from (console routes are not an API: re-check them when a console moves):
- Commercial console host `https://<region>.console.aws.amazon.com`: AWS General Reference, "AWS Management
  Console endpoints and quotas" (https://docs.aws.amazon.com/general/latest/gr/mgmt-console.html).
- China `https://console.amazonaws.cn` and GovCloud `https://console.amazonaws-us-gov.com` (region chosen by
  `?region=`): the consoles' own addresses, as used in public tooling for those partitions (the GovCloud
  user guide links `signin.amazonaws-us-gov.com` for sign-in to the same console).
- S3 console routes `/s3/object/<bucket>?region=<r>&prefix=<key>` (one object) and
  `/s3/buckets/<bucket>?region=<r>&prefix=<folder>/` (a folder), and the SageMaker console route
  `/sagemaker/home?region=<r>#/automl-jobs/<job name>`: the URLs the consoles show in the address bar,
  as used by public tooling (no AWS page documents console routes).
Partitions whose consoles are not public (aws-iso, ...) get no link: callers then say so in words. Nor does
a region that is not an AWS region name (`constants.AWS_REGION_PATTERN`): the region becomes part of the
host, so a record whose ARN says `evil.example/x?` must never turn into a link to evil.example.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from autopilot_reports import constants as c
from autopilot_reports.domain.arns import arn_partition, arn_region
from autopilot_reports.models.record import ReportRecord

# partition -> console host; the commercial one is regional (the documented form), the others are not.
CONSOLE_HOSTS = {
    "aws": "https://{region}.console.aws.amazon.com",
    "aws-cn": "https://console.amazonaws.cn",
    "aws-us-gov": "https://console.amazonaws-us-gov.com",
}


@dataclass(frozen=True)
class S3Location:
    bucket: str
    key: str  # may be empty (the bucket itself) or end with "/" (a folder)

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


@dataclass(frozen=True)
class Link:
    """One artifact: its https console URL (None when the partition's console is unknown) and its s3 URI."""

    label: str
    url: str | None
    s3_uri: str | None = None


@dataclass(frozen=True)
class ReportLinks:
    job: Link
    report_pdf: Link | None = None
    report_html: Link | None = None
    explainability_prefix: Link | None = None
    candidate_notebook: Link | None = None
    exploration_notebook: Link | None = None
    model_insights: Link | None = None
    backtest_results: Link | None = None

    @property
    def artifacts(self) -> list[Link]:
        """Every artifact link, in the order the messages list them."""
        ordered = (
            self.report_pdf,
            self.report_html,
            self.explainability_prefix,
            self.candidate_notebook,
            self.exploration_notebook,
            self.model_insights,
            self.backtest_results,
        )
        return [link for link in ordered if link]


AWS_REGION = re.compile(c.AWS_REGION_PATTERN)


def console_host(partition: str, region: str) -> str | None:
    """The console's address for the job's partition and region; None for a partition without a public
    console, or a region that is not an AWS region name (it would become part of the host)."""
    template = CONSOLE_HOSTS.get(partition)
    if template is None or not AWS_REGION.fullmatch(region):
        return None
    return template.format(region=region)


def parse_s3_uri(uri: str | None) -> S3Location | None:
    if not uri or not uri.startswith("s3://"):
        return None
    bucket, _, key = uri[len("s3://") :].partition("/")
    return S3Location(bucket, key) if bucket else None


def job_console_url(job_arn: str, job_name: str) -> str | None:
    host = console_host(arn_partition(job_arn), arn_region(job_arn))
    if host is None:
        return None
    region = arn_region(job_arn)
    return f"{host}/sagemaker/home?region={region}#/automl-jobs/{quote(job_name, safe='')}"


def s3_object_url(location: S3Location, partition: str, region: str) -> str | None:
    """The S3 console page of one object. Autopilot writes to a bucket in the job's own region."""
    host = console_host(partition, region)
    if host is None:
        return None
    return f"{host}/s3/object/{quote(location.bucket, safe='')}?region={region}&prefix={quote(location.key, safe='/')}"


def s3_folder_url(location: S3Location, partition: str, region: str) -> str | None:
    """The S3 console listing of a prefix (a "folder"): the console wants the trailing slash."""
    host = console_host(partition, region)
    if host is None:
        return None
    prefix = location.key if not location.key or location.key.endswith("/") else location.key + "/"
    return f"{host}/s3/buckets/{quote(location.bucket, safe='')}?region={region}&prefix={quote(prefix, safe='/')}"


S3_URI_IN_TEXT = re.compile(r"s3://[A-Za-z0-9.\-_]+(?:/[^\s'\"<>()\[\]{}]*)?")


def s3_uris_in(text: str) -> list[str]:
    """The s3:// URIs a free text mentions (a failure reason quoting its input), in order, once each."""
    found = [match.rstrip(".,;:!?") for match in S3_URI_IN_TEXT.findall(text)]
    return list(dict.fromkeys(uri for uri in found if parse_s3_uri(uri)))


def s3_console_url(uri: str, partition: str, region: str) -> str | None:
    """An S3 console page for a URI of unknown kind: a key whose last segment has a dot is taken as an
    object (report.pdf, train.csv), anything else as a folder."""
    location = parse_s3_uri(uri)
    if location is None:
        return None
    if "." in location.key.rstrip("/").rsplit("/", 1)[-1] and not location.key.endswith("/"):
        return s3_object_url(location, partition, region)
    return s3_folder_url(location, partition, region)


def report_links(record: ReportRecord) -> ReportLinks:
    """Every link a report message shows, built once so all protocols agree."""
    partition, region = arn_partition(record.job_arn), arn_region(record.job_arn)
    explainability = record.explainability

    def object_link(label: str, uri: str | None) -> Link | None:
        location = parse_s3_uri(uri)
        return Link(label, s3_object_url(location, partition, region), location.uri) if location else None

    def folder_link(label: str, uri: str | None) -> Link | None:
        location = parse_s3_uri(uri)
        return Link(label, s3_folder_url(location, partition, region), uri) if location else None

    notebooks = record.job_artifacts
    return ReportLinks(
        job=Link("Job in the SageMaker console", job_console_url(record.job_arn, record.job_name)),
        report_pdf=object_link("Explainability report (PDF)", explainability.artifacts.get("report_pdf")),
        report_html=object_link("Explainability report (HTML)", explainability.artifacts.get("report_html")),
        explainability_prefix=folder_link("Explainability files", explainability.s3_prefix),
        candidate_notebook=object_link("Candidate definition notebook", notebooks.candidate_definition_notebook),
        exploration_notebook=object_link("Data exploration notebook", notebooks.data_exploration_notebook),
        model_insights=folder_link("Model insights (best candidate)", record.model_insights_prefix),
        backtest_results=folder_link("Backtest results (best candidate)", record.backtest_results_prefix),
    )
