"""Where a job ran and which job it is (models/place.py), and how the table keys it in each scope
(adapters/dynamodb_items.py): one account and region's table keys a job by its name, as every table
before organizations did; an organization's by account, region and name."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from autopilot_reports import constants as c
from autopilot_reports.adapters import dynamodb_items as items
from autopilot_reports.adapters.dynamodb_items import KeyScope
from autopilot_reports.models.place import InvalidJobArnError, JobRef, Place
from autopilot_reports.models.record import Explainability, HistoryEntry, ReportRecord
from tests.shared_fixtures import shared_json

RECORDINGS = Path(__file__).parents[1] / "e2e" / "recordings"
HERE = Place(account="123456789012", region="eu-west-1")
ELSEWHERE = Place(account="210987654321", region="us-gov-west-1")


def test_a_real_describe_response_whose_arn_lowercases_the_name_keeps_the_name_as_given():
    describe = json.loads((RECORDINGS / "sme-creditcardfraud-2020-12_binary_v1.json").read_text())["describe"]
    assert describe["AutoMLJobArn"].endswith("automl-job/automl-card-fraud-f103-00-26-10")  # as recorded
    assert JobRef.of_summary(describe) == JobRef(
        Place(account="245779447069", region="us-east-1"), "automl-card-fraud-F103-00-26-10"
    )


def test_a_real_listing_gives_each_jobs_place():
    [summary] = shared_json("list_auto_ml_jobs.boto3.json")["AutoMLJobSummaries"]
    assert JobRef.of_summary(summary) == JobRef(Place("644160558196", "us-east-1"), "Canvas-c7n-test")


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws-cn:sagemaker:cn-north-1:123456789012:automl-job/churn",
        "arn:aws-us-gov:sagemaker:us-gov-west-1:123456789012:automl-job/churn",
        "arn:aws-iso:sagemaker:us-iso-east-1:123456789012:automl-job/churn",
    ],
)
def test_every_partition_names_a_place(arn):
    assert Place.of_arn(arn).account == "123456789012"
    assert Place.of_arn(arn).region == arn.split(":")[3]


@pytest.mark.parametrize(
    "arn",
    [
        "",
        "a",
        "arn:aws:sagemaker:us-east-1:123456789012:training-job/churn",  # another kind of job
        "arn:aws:sagemaker:us-east-1:12345678901:automl-job/churn",  # 11 digits
        "arn:aws:sagemaker:us-east-1::automl-job/churn",  # no account
        "arn:aws:sagemaker::123456789012:automl-job/churn",  # no region
        "arn:aws:sagemaker:us-east-1:123456789012:automl-job/",  # no name
        "arn:aws:s3:us-east-1:123456789012:automl-job/churn",  # another service
        "arn:aws:sagemaker:us-east-1:123456789012:automl-job/churn\n",  # a trailing line break
        " arn:aws:sagemaker:us-east-1:123456789012:automl-job/churn",
        None,
        42,
    ],
)
def test_text_that_is_not_an_automl_job_arn_is_refused_with_a_clear_error(arn):
    with pytest.raises(InvalidJobArnError, match="not an AutoML job ARN") as refused:
        Place.of_arn(arn)
    assert repr(arn) in str(refused.value) and "automl-job/<name>" in str(refused.value)
    assert Place.of_arn_or_none(arn) is None
    with pytest.raises(InvalidJobArnError):
        JobRef.of_summary({"AutoMLJobArn": arn, "AutoMLJobName": "churn"})


def test_a_huge_arn_is_shown_cut_in_the_error():
    with pytest.raises(InvalidJobArnError) as refused:
        Place.of_arn("x" * 100_000)
    assert len(str(refused.value)) < 500 and "100002 characters" in str(refused.value)


def test_places_and_job_references_are_values():
    assert JobRef(HERE, "churn") == JobRef(Place("123456789012", "eu-west-1"), "churn")
    assert len({JobRef(HERE, "churn"), JobRef(ELSEWHERE, "churn"), JobRef(HERE, "churn")}) == 2
    with pytest.raises(AttributeError):
        HERE.region = "us-east-1"  # type: ignore[misc]


# --- keys per scope -------------------------------------------------------------------------------------


def record(name="churn", place=HERE, **fields):
    return ReportRecord(
        job_name=name,
        job_arn=f"arn:aws:sagemaker:{place.region}:{place.account}:automl-job/{name.lower()}",
        api="v1",
        status="Completed",
        secondary_status="Completed",
        explainability=Explainability(state="missing", reason="none"),
        partial_failures=["1 candidate failed"],
        created_at=datetime(2025, 6, 1, tzinfo=UTC),
        last_modified_at=datetime(2025, 6, 1, 1, tzinfo=UTC),
        **fields,
    )


def test_one_account_and_regions_keys_are_exactly_those_tables_have_always_had():
    for place in (None, HERE, ELSEWHERE):
        assert items.report_key("churn", place) == {"pk": "JOB#churn", "sk": "REPORT"}
        assert items.report_key("churn", place, KeyScope.LOCAL) == {"pk": "JOB#churn", "sk": "REPORT"}
    attributes = items.record_attributes(record())
    history = items.history_attributes(HistoryEntry.of(record(), "schedule"), HERE)
    assert history["pk"] == "JOB#churn"
    assert history["sk"] == "HISTORY#2025-06-01T01:00:00.000Z#Completed#Completed"
    for index in c.INDEXES.values():
        assert attributes[index[1]] == "2025-06-01T01:00:00.000Z#churn"


def test_an_organizations_keys_qualify_the_name_by_account_and_region():
    scope = KeyScope.ORGANIZATION
    assert items.report_key("churn", HERE, scope) == {"pk": "JOB#123456789012#eu-west-1#churn", "sk": "REPORT"}
    assert items.job_pk("churn", ELSEWHERE, scope) == "JOB#210987654321#us-gov-west-1#churn"
    history = items.history_attributes(HistoryEntry.of(record(), "schedule"), HERE, scope)
    assert history["pk"] == "JOB#123456789012#eu-west-1#churn"
    ours, theirs = items.record_attributes(record(), scope), items.record_attributes(record(place=ELSEWHERE), scope)
    for _, sort_key in c.INDEXES.values():  # index sort keys differ too, so the order between them is fixed
        assert ours[sort_key] == "2025-06-01T01:00:00.000Z#123456789012#eu-west-1#churn"
        assert theirs[sort_key] != ours[sort_key]


def test_an_organizations_key_needs_the_jobs_place():
    with pytest.raises(ValueError, match="account and region"):
        items.report_key("churn", None, KeyScope.ORGANIZATION)
    made_by_hand = record().model_copy(update={"job_arn": "a"})
    with pytest.raises(ValueError, match="account and region"):
        items.record_attributes(made_by_hand, KeyScope.ORGANIZATION)
    assert items.record_attributes(made_by_hand)["gsi1sk"].endswith("#churn")  # one place: the name is enough


# --- the record says where the job ran ------------------------------------------------------------------


def test_the_record_says_where_the_job_ran_in_its_json_and_as_stored_attributes():
    rec = record("Churn-A")  # the ARN carries the name lower-cased
    assert (rec.account_id, rec.region, rec.place) == ("123456789012", "eu-west-1", HERE)
    assert rec.job == JobRef(HERE, "Churn-A")
    body = json.loads(rec.model_dump_json())
    assert (body["account_id"], body["region"]) == ("123456789012", "eu-west-1")
    stored = items.record_attributes(rec)
    assert (stored["account_id"], stored["region"]) == ("123456789012", "eu-west-1")
    assert items.record_from_item(items.deserialize(items.serialize(stored))) == rec


def test_an_item_stored_before_the_record_had_a_place_reads_the_same():
    rec = record()
    stored = items.record_attributes(rec)
    before = {name: value for name, value in stored.items() if name not in ("account_id", "region")}
    read = items.record_from_item(items.deserialize(items.serialize(before)))
    assert read == rec and (read.account_id, read.region) == ("123456789012", "eu-west-1")
    # and the JSON of a record (records.jsonl, the CLI's --output json) reads back the same
    assert ReportRecord.model_validate_json(rec.model_dump_json()) == rec


def test_a_record_made_by_hand_with_another_arn_has_no_place_and_no_job_reference():
    rec = record().model_copy(update={"job_arn": "a"})
    assert (rec.account_id, rec.region, rec.place) == (None, None, None)
    with pytest.raises(InvalidJobArnError):
        _ = rec.job
