"""One contract for the ReportStore port, run against the in-memory fake and the DynamoDB store on moto
and on AWS's DynamoDB Local (with the production key schema; skipped where DynamoDB Local cannot run,
see tests/integration/conftest.py), each keying jobs in both scopes (one account and region's table, an
organization's): the "newer" rule, one claim per job, the watch-start rule, the watcher state and import
progress, the family's best, stuck claims, digests and refused records. A rule written once in the domain
and again in a condition expression cannot drift while both pass this suite."""

from datetime import UTC, datetime, timedelta

import boto3
import pytest

from autopilot_reports.adapters.dynamodb_items import KeyScope
from autopilot_reports.adapters.dynamodb_store import DynamoDBReportStore
from autopilot_reports.domain.family import FamilyChangedError, FamilyStanding, FamilyUpdate
from autopilot_reports.domain.ports import RecordRejectedError, Saved
from autopilot_reports.models.digest import Digest, Period
from autopilot_reports.models.events import ImportProgress
from autopilot_reports.models.place import Place
from autopilot_reports.models.record import Explainability, FamilyBest, HistoryEntry, Objective, ReportRecord
from tests.integration.conftest import REGION
from testsupport.fakes import PLACE, FakeStore, job_ref

T0 = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)
NOTIFIED = datetime(2030, 1, 1, tzinfo=UTC)
ENGINES = ("fake", "moto", "dynamodb-local")
ELSEWHERE = Place(account="210987654321", region="eu-west-1")  # another account of the organization


def record(
    name="churn",
    status="InProgress",
    secondary="Starting",
    minutes=0,
    partial=(),
    notified=None,
    ended=None,
    place=PLACE,
):
    return ReportRecord(
        job_name=name,
        job_arn=f"arn:aws:sagemaker:{place.region}:{place.account}:automl-job/{name}",
        api="v1",
        status=status,
        secondary_status=secondary,
        explainability=Explainability(state="pending" if status == "InProgress" else "missing", reason="r"),
        partial_failures=list(partial),
        created_at=T0,
        ended_at=ended,
        last_modified_at=T0 + timedelta(minutes=minutes),
        notified_at=notified,
    )


def done(minutes=30, secondary="Completed", notified=NOTIFIED, name="churn", place=PLACE):
    return record(name, "Completed", secondary, minutes=minutes, notified=notified, place=place)


def save(store, rec, claim=False):
    return store.save_report(rec, HistoryEntry.of(rec, "schedule"), claim_notification=claim)


def store_on(request, engine, scope):
    if engine == "fake":
        return FakeStore(scope=scope)
    if engine == "dynamodb-local":
        local = request.getfixturevalue("dynamodb_local")
        table = request.getfixturevalue("local_table")
        return DynamoDBReportStore(table, dynamodb=local.dynamodb_client(REGION), scope=scope)
    table_name = request.getfixturevalue("table_name")
    return DynamoDBReportStore(table_name, dynamodb=boto3.client("dynamodb", region_name=REGION), scope=scope)


@pytest.fixture(params=[(engine, scope) for scope in KeyScope for engine in ENGINES], ids="-".join)
def store(request):
    return store_on(request, *request.param)


@pytest.fixture(params=ENGINES)
def organization_store(request):
    return store_on(request, request.param, KeyScope.ORGANIZATION)


@pytest.fixture(params=ENGINES)
def local_store(request):
    return store_on(request, request.param, KeyScope.LOCAL)


@pytest.fixture
def watching(store):
    """The store once the stack has begun watching at T0."""
    assert store.begin_watch(T0) == T0
    return store


def test_newer_states_replace_older_ones(store):
    assert save(store, record()) is Saved.WRITTEN
    assert save(store, record(secondary="ModelTuning", minutes=5)) is Saved.WRITTEN
    assert save(store, record(minutes=0)) is Saved.UNCHANGED  # late, older event
    assert save(store, record(secondary="ModelTuning", minutes=5)) is Saved.UNCHANGED  # replay
    assert store.known_states([job_ref("churn")]).jobs[job_ref("churn")].secondary_status == "ModelTuning"


def test_lifecycle_rank_decides_between_states_with_the_same_modification_time(store):
    save(store, record(secondary="Starting", minutes=3))
    assert save(store, record(secondary="ModelTuning", minutes=3)) is Saved.WRITTEN
    assert save(store, record(secondary="AnalyzingData", minutes=3)) is Saved.UNCHANGED
    save(store, record(status="Stopping", secondary="Stopping", minutes=10))
    assert save(store, record(status="InProgress", secondary="ModelTuning", minutes=10)) is Saved.UNCHANGED
    assert save(store, record(status="Stopped", secondary="Stopped", minutes=10)) is Saved.WRITTEN
    assert store.known_states([job_ref("churn")]).jobs[job_ref("churn")].status == "Stopped"


def test_terminal_notification_is_claimed_once(watching):
    assert save(watching, done(), claim=True) is Saved.CLAIMED
    assert save(watching, done(), claim=True) is Saved.UNCHANGED
    assert save(watching, done(notified=NOTIFIED + timedelta(days=1)), claim=True) is Saved.UNCHANGED


def test_a_job_that_ended_before_the_watch_start_is_written_without_a_claim(store):
    store.begin_watch(T0 + timedelta(days=30))
    assert save(store, done(), claim=True) is Saved.WRITTEN
    assert save(store, done(), claim=True) is Saved.UNCHANGED  # a replay of the import


def test_nothing_is_claimed_before_anything_is_watched(store):
    assert save(store, done(), claim=True) is Saved.WRITTEN


def test_the_end_time_decides_not_the_last_modification(store):
    store.begin_watch(T0 + timedelta(minutes=20))
    ended_before = record(
        "a", "Completed", "Completed", minutes=30, notified=NOTIFIED, ended=T0 + timedelta(minutes=10)
    )
    ended_after = record("b", "Completed", "Completed", minutes=30, notified=NOTIFIED, ended=T0 + timedelta(minutes=25))
    assert save(store, ended_before, claim=True) is Saved.WRITTEN
    assert save(store, ended_after, claim=True) is Saved.CLAIMED


def test_a_job_running_at_the_watch_start_is_claimed_when_it_ends(watching):
    save(watching, record(minutes=-10))
    assert save(watching, done(), claim=True) is Saved.CLAIMED


def test_terminal_state_changing_after_notification_is_written_without_a_new_claim(watching):
    save(watching, done(), claim=True)
    later = done(minutes=40, secondary="ExplainabilityError", notified=NOTIFIED + timedelta(hours=1))
    assert save(watching, later, claim=True) is Saved.WRITTEN
    assert save(watching, later, claim=True) is Saved.UNCHANGED
    assert watching.known_states([job_ref("churn")]).jobs[job_ref("churn")].secondary_status == "ExplainabilityError"


def test_an_unclaimed_state_may_be_claimed_by_the_same_state_later(store):
    save(store, done(notified=None))  # e.g. written while notifications for Completed were off
    store.begin_watch(T0)
    assert save(store, done(), claim=True) is Saved.CLAIMED


def test_watch_start_is_set_once_and_a_pass_only_moves_the_watermark_and_listing_time_forward(store):
    state = store.get_watch_state()
    assert (state.watch_start, state.watermark, state.listed_at) == (None, None, None)
    assert store.begin_watch(T0) == T0
    assert store.begin_watch(T0 + timedelta(days=1)) == T0
    minute = timedelta(minutes=1)
    store.record_pass(T0 + 2 * minute, T0 + minute, T0 + 2 * minute)
    store.record_pass(T0 + 3 * minute, T0 + minute, T0 + 3 * minute)  # a later listing, nothing newer: recorded
    store.record_pass(T0 + 4 * minute, T0, T0 + 8 * minute)  # overtaken by a stored watermark: nothing moves back
    store.record_pass(T0 + minute, T0 + 9 * minute, T0 + 9 * minute)  # an older listing: nothing recorded
    state = store.get_watch_state()
    assert (state.watch_start, state.watermark, state.listed_at) == (T0, T0 + minute, T0 + 3 * minute)
    assert state.published_through == T0 + 3 * minute  # moves with the pass that is recorded


def test_known_states_of_unknown_jobs_are_absent(store):
    save(store, record("a"))
    assert set(store.known_states([job_ref("a"), job_ref("b"), job_ref("a")]).jobs) == {job_ref("a")}


def test_import_progress_round_trips(store):
    progress = ImportProgress(
        import_id="import-x",
        start=T0,
        end=T0 + timedelta(days=1),
        status="running",
        cursor=T0,
        pieces=1,
        jobs_seen=1000,
        published=3,
        updated_at=T0,
    )
    store.save_import_progress(progress)
    store.save_import_progress(progress.model_copy(update={"status": "done", "pieces": 2}))
    assert store.get_import_progress("import-x") == progress.model_copy(update={"status": "done", "pieces": 2})
    assert store.get_import_progress("other") is None


# --- the family's best, stuck claims, digests, refused records (issue 11 and 14) -------------------------


def scored(name, value, minutes=30):
    return done(minutes=minutes, name=name).model_copy(
        update={"objective": Objective(metric="F1", value=value, standard_metric="F1", direction="Maximize")}
    )


def test_the_familys_best_moves_only_from_the_best_the_report_was_judged_against(watching):
    first = scored("churn-1", 0.8)
    update = FamilyUpdate("churn", None, FamilyBest(job_name="churn-1", value=0.8), "F1", "Maximize", True)
    assert watching.save_report(first, HistoryEntry.of(first, None), True, update) is Saved.CLAIMED
    known = watching.known_states([job_ref("churn-1")], ["churn", "fraud"])
    assert known.jobs[job_ref("churn-1")].status == "Completed"
    assert known.families == {
        "churn": FamilyStanding("churn", FamilyBest(job_name="churn-1", value=0.8), "F1", "Maximize")
    }

    second = scored("churn-2", 0.9, minutes=40)
    stale = FamilyUpdate("churn", None, FamilyBest(job_name="churn-2", value=0.9), "F1", "Maximize", True)
    with pytest.raises(FamilyChangedError) as changed:  # believed the family had no best: judged again
        watching.save_report(second, HistoryEntry.of(second, None), True, stale)
    assert changed.value.standing.best == FamilyBest(job_name="churn-1", value=0.8)
    right = FamilyUpdate("churn", changed.value.standing.best, stale.becomes_best, "F1", "Maximize", True)
    assert watching.save_report(second, HistoryEntry.of(second, None), True, right) is Saved.CLAIMED
    assert watching.known_states([], ["churn"]).families["churn"].best == FamilyBest(job_name="churn-2", value=0.9)


def test_one_stuck_claim_per_stall(watching):
    quiet = record("quiet", "InProgress", "ModelTuning", minutes=5)
    save(watching, quiet)
    later = T0 + timedelta(hours=5)
    [stalled] = watching.stalled(later - timedelta(hours=4), T0 - timedelta(hours=4))
    assert (stalled.job, stalled.progress, stalled.alerted) == (job_ref("quiet"), quiet.progress, False)
    assert watching.claim_stuck(job_ref("quiet"), quiet.progress, later)
    assert not watching.claim_stuck(job_ref("quiet"), quiet.progress, later)  # the same stall: claimed once
    assert watching.stalled(later - timedelta(hours=4), T0 - timedelta(hours=4))[0].alerted
    assert watching.stalled(later - timedelta(hours=4), T0 + timedelta(hours=1)) == []  # stalled before the range
    moved = record("quiet", "InProgress", "GeneratingExplainabilityReport", minutes=120)
    save(watching, moved)
    assert not watching.claim_stuck(job_ref("quiet"), quiet.progress, later)  # the job moved on
    assert watching.claim_stuck(job_ref("quiet"), moved.progress, later + timedelta(hours=4))  # a new stall


def test_a_digest_is_committed_once_per_period(watching):
    save(watching, done(name="churn-1"))
    end = T0 + timedelta(days=1)
    inputs = watching.digest_inputs(T0, end, (T0, T0))
    assert [item.job_name for item in inputs.modified] == ["churn-1"]
    digest = Digest(period=Period(start=T0, end=end), counts={"Completed": 1})
    assert watching.last_digest_end() is None
    assert watching.save_digest(digest)
    assert not watching.save_digest(digest)  # a retried schedule invocation
    assert watching.last_digest_end() == end


def test_a_record_the_table_cannot_store_is_refused_before_anything_is_written(watching):
    unstorable = record("bad").model_copy(update={"failure_reason": "x\udc80y"})
    with pytest.raises(RecordRejectedError, match="cannot store"):
        save(watching, unstorable)
    oversized = record("big").model_copy(update={"partial_failures": ["p" * 1000] * 450})
    with pytest.raises(RecordRejectedError, match="item size"):
        save(watching, oversized)
    assert watching.known_states([job_ref("bad"), job_ref("big")]).jobs == {}


# --- where jobs ran: one account and region's table, an organization's (issue 18) ------------------------


def test_in_an_organization_jobs_of_one_name_in_two_accounts_are_two_jobs(organization_store):
    store, here, there = organization_store, job_ref("churn"), job_ref("churn", ELSEWHERE)
    store.begin_watch(T0)
    assert save(store, record(minutes=5)) is Saved.WRITTEN
    assert save(store, record(secondary="ModelTuning", minutes=1, place=ELSEWHERE)) is Saved.WRITTEN  # older
    known = store.known_states([here, there]).jobs
    assert (known[here].secondary_status, known[there].secondary_status) == ("Starting", "ModelTuning")
    assert save(store, done(), claim=True) is Saved.CLAIMED
    assert save(store, done(place=ELSEWHERE), claim=True) is Saved.CLAIMED  # each its own notification
    assert save(store, done(place=ELSEWHERE), claim=True) is Saved.UNCHANGED


def test_in_an_organization_each_job_of_one_name_stalls_and_is_claimed_on_its_own(organization_store):
    store, here, there = organization_store, job_ref("quiet"), job_ref("quiet", ELSEWHERE)
    store.begin_watch(T0)
    ours, theirs = record("quiet", minutes=5), record("quiet", minutes=6, place=ELSEWHERE)
    save(store, ours)
    save(store, theirs)
    later = T0 + timedelta(hours=5)
    stalled = store.stalled(later - timedelta(hours=4), T0 - timedelta(hours=4))
    assert sorted((stall.job.place.account, stall.progress) for stall in stalled) == [
        (here.place.account, ours.progress),
        (there.place.account, theirs.progress),
    ]
    assert store.claim_stuck(here, ours.progress, later)
    assert store.claim_stuck(there, theirs.progress, later)  # not the other's claim
    assert not store.claim_stuck(there, theirs.progress, later)


def test_in_one_account_and_regions_table_a_job_is_its_name(local_store):
    """The keys every table had before organizations: a name names one job."""
    save(local_store, record(minutes=5))
    assert save(local_store, record(secondary="ModelTuning", minutes=1, place=ELSEWHERE)) is Saved.UNCHANGED
    assert local_store.known_states([job_ref("churn", ELSEWHERE)]).jobs[job_ref("churn", ELSEWHERE)].progress == (
        record(minutes=5).progress
    )
