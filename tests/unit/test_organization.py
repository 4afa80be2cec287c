"""An organization (issue 20), at the domain's level with fakes: what a spoke forwards and how, what the hub
keeps and refuses (no account speaks for another), heartbeats and the one `spoke_silent` per silence, the
digest by account, and the messages that name the account."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from autopilot_reports import constants as c
from autopilot_reports.adapters.dynamodb_items import spoke_attributes
from autopilot_reports.domain.digest import Digester
from autopilot_reports.domain.forwarder import (
    Forwarder,
    entry_bytes,
    forwarded_type,
    heartbeat_entry,
    report_entry,
    stuck_entry,
)
from autopilot_reports.domain.hub import HubRecorder, Received, ReportNotYetError, SpokeMonitor
from autopilot_reports.domain.notification import render_digest, render_notification, render_silence
from autopilot_reports.domain.notifier import Claim, NotificationSender, claim_in
from autopilot_reports.domain.ports import SpokeStatus
from autopilot_reports.domain.seal import ForgedClaimError, Sealer
from autopilot_reports.domain.watcher import Watcher
from autopilot_reports.models.events import DetectedBy
from autopilot_reports.models.forwarded import (
    ForwardedEvent,
    HeartbeatDetail,
    HubEvent,
    ReportDetail,
    StuckDetail,
)
from autopilot_reports.models.place import Place
from autopilot_reports.models.record import Compute, EstimatedCost, Explainability, FeatureImportance, ReportRecord
from testsupport.fakes import (
    FakeHubSender,
    FakeHubStore,
    FakeJobs,
    FakeNotifier,
    FakePublisher,
    FakeSealKey,
    FakeStore,
)

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
TEAM = "111122223333"
OTHER = "444455556666"
NAMES = {TEAM: "team-churn"}


def record(
    name: str = "churn-2026-11-01",
    account: str = TEAM,
    region: str = "eu-west-1",
    status: str = "Completed",
    minutes: int = 0,
    **changes: object,
) -> ReportRecord:
    terminal = status in c.TERMINAL_STATUSES
    base = ReportRecord(
        job_name=name,
        job_arn=f"arn:aws:sagemaker:{region}:{account}:automl-job/{name}",
        api="v1",
        status=status,
        secondary_status=status if terminal else "ModelTuning",
        explainability=Explainability(state="missing" if terminal else "pending", reason="none"),
        created_at=T0 - timedelta(hours=2),
        ended_at=T0 + timedelta(minutes=minutes) if terminal else None,
        last_modified_at=T0 + timedelta(minutes=minutes),
        family="churn",
        notified_at=T0 + timedelta(minutes=minutes, seconds=5) if terminal else None,
    )
    return base.model_copy(update=changes)


def envelope(detail_type: str, detail: dict[str, object], account: str = TEAM, region: str = "eu-west-1") -> dict:
    return {
        "version": "0",
        "id": "e-1",
        "detail-type": detail_type,
        "source": c.EVENT_SOURCE,
        "account": account,
        "time": "2026-11-01T08:00:00Z",
        "region": region,
        "resources": [],
        "detail": detail,
    }


def forwarded(detail_type: str, detail: dict[str, object], account: str = TEAM) -> ForwardedEvent:
    return ForwardedEvent.of(HubEvent.model_validate(envelope(detail_type, detail, account)))


def report_event(rec: ReportRecord, claimed: bool = True, account: str = TEAM, **raw: object) -> ForwardedEvent:
    detail = ReportDetail(Record=rec, Claimed=claimed).model_dump(mode="json")
    detail["Record"].update(raw)
    return forwarded(c.REPORT_DETAIL_TYPE, detail, account)


class Clock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


def hub(store: FakeHubStore | None = None) -> tuple[HubRecorder, FakeHubStore]:
    store = store or FakeHubStore()
    return HubRecorder(store=store, account_names=NAMES, clock=Clock(T0 + timedelta(hours=1))), store


# --- the wire: three detail types, pinned -------------------------------------------------------------------


def test_forwarded_details_are_a_pinned_contract():
    assert c.FORWARDED_DETAIL_TYPES == ("AutoML Job Report", "AutoML Job Stuck", "AutoML Spoke Heartbeat")
    assert list(ReportDetail.model_fields) == ["SchemaVersion", "Record", "Claimed", "Reduced", "Compute"]
    assert list(StuckDetail.model_fields) == ["SchemaVersion", "Record", "AlertedAt"]
    assert list(HeartbeatDetail.model_fields) == ["SchemaVersion", "Version", "WatchStart", "Watermark", "SentAt"]
    beat = heartbeat_entry(T0, T0 - timedelta(days=3), T0 - timedelta(minutes=2), version="0.1.0")
    assert json.loads(beat.detail.model_dump_json()) == {
        "SchemaVersion": "1",
        "Version": "0.1.0",
        "WatchStart": "2026-10-29T08:00:00.000Z",
        "Watermark": "2026-11-01T07:58:00.000Z",
        "SentAt": "2026-11-01T08:00:00.000Z",
    }
    with pytest.raises(ValidationError, match="Extra inputs"):
        ReportDetail.model_validate({"Record": record().model_dump(mode="json"), "Account": OTHER})


# --- the spoke's forwarder ------------------------------------------------------------------------------------


def image(rec: ReportRecord, **extra: object) -> dict[str, object]:
    return {c.PARTITION_KEY: f"JOB#{rec.job_name}", c.SORT_KEY: c.REPORT_SK, **rec.model_dump(mode="json"), **extra}


def test_the_forwarder_sends_each_new_state_claim_stuck_claim_and_heartbeat_and_nothing_else():
    running = record(status="InProgress")
    ended = record(minutes=30)
    new, old = image(ended), image(running, notified_at=None)
    assert forwarded_type(image(running), {}) == c.REPORT_DETAIL_TYPE  # a first record
    assert forwarded_type(new, old) == c.REPORT_DETAIL_TYPE  # a new state (and its claim)
    claimed_only = image(ended, notified_at="2026-11-01T08:31:00.000Z")
    assert forwarded_type(claimed_only, image(ended, notified_at=None)) == c.REPORT_DETAIL_TYPE
    assert forwarded_type(image(ended, last_error="x"), image(ended)) is None  # a noted error says nothing new
    stuck = image(running, **{c.STUCK_ALERTED_FOR: 1, c.STUCK_NOTIFIED_AT: "2026-11-01T12:00:00.000Z"})
    assert forwarded_type(stuck, image(running)) == c.STUCK_DETAIL_TYPE
    watcher = {c.PARTITION_KEY: "WATCHER", c.SORT_KEY: "WATERMARK", "watermark": "b", c.HEARTBEAT_AT: "t2"}
    assert forwarded_type(watcher, {**watcher, c.HEARTBEAT_AT: "t1"}) == c.HEARTBEAT_DETAIL_TYPE
    assert forwarded_type({**watcher, "watermark": "c"}, watcher) is None  # the watermark moved: nothing
    assert forwarded_type({c.PARTITION_KEY: "DIGEST#x", c.SORT_KEY: c.DIGEST_SK}, {}) is None


def test_a_report_over_the_entry_limit_is_sent_reduced_with_a_note_never_dropped():
    features = [
        FeatureImportance(feature=f"column_{i:05d}_" + "x" * 200, importance=1.0 / (i + 1)) for i in range(2000)
    ]
    big = record(explainability=Explainability(state="available", top_features=features, feature_count=2000))
    entry = report_entry(big, claim=True)
    detail = entry.detail
    assert isinstance(detail, ReportDetail) and detail.Claimed and detail.Reduced
    assert "over EventBridge's 262,144-byte entry limit" in detail.Reduced
    assert detail.Record.job_name == big.job_name and detail.Record.status == "Completed"
    assert entry_bytes(entry.detail_type, detail.model_dump_json(), entry.resources) <= c.MAX_ENTRY_BYTES
    small = report_entry(record(), claim=False)
    assert isinstance(small.detail, ReportDetail) and small.detail.Reduced is None and small.resources
    assert stuck_entry(big, T0).detail_type == c.STUCK_DETAIL_TYPE


SEALER = Sealer(FakeSealKey())


def sealed_image(rec: ReportRecord, claimed: bool = True, sealer: Sealer = SEALER) -> dict[str, object]:
    """The latest item as the spoke's reporter commits it: its record fields, sealed with the claim."""
    written = rec.model_dump(mode="json", exclude={"notified_at", "compute"})  # compute: written apart
    if claimed:
        written["notified_at"] = "2026-11-01T08:00:05.000Z"
    return image(rec, **written, seal=sealer.record_seal(written))


def test_the_forwarder_sends_only_what_the_spoke_sealed():
    forwarder = Forwarder(FakeHubSender(), SEALER)
    entry = forwarder.entry(sealed_image(record()), {})
    assert entry is not None and isinstance(entry.detail, ReportDetail) and entry.detail.Claimed
    assert entry.detail.Record.job_name == "churn-2026-11-01"
    altered = {**sealed_image(record()), "status": "Failed"}  # changed after it was sealed
    with pytest.raises(ForgedClaimError):
        forwarder.entry(altered, {})
    with pytest.raises(ForgedClaimError):
        forwarder.entry(sealed_image(record(), sealer=Sealer(FakeSealKey(key=b"another stack"))), {})
    with pytest.raises(ForgedClaimError, match="no seal key"):
        Forwarder(FakeHubSender()).entry(sealed_image(record()), {})
    assert forwarder.entry({**sealed_image(record()), "last_error": "x"}, sealed_image(record())) is None


def test_the_forwarder_sends_a_sealed_heartbeat_and_refuses_an_unsealed_one():
    beat = {"sent_at": "2026-11-01T08:00:00.000Z", "watch_start": "2026-10-01T00:00:00.000Z", "watermark": None}
    watcher = {c.PARTITION_KEY: "WATCHER", c.SORT_KEY: "WATERMARK", c.HEARTBEAT_AT: beat["sent_at"], c.HEARTBEAT: beat}
    forwarder = Forwarder(FakeHubSender(), SEALER)
    entry = forwarder.entry({**watcher, c.HEARTBEAT_SEAL: SEALER.heartbeat_seal(beat)}, {})
    assert entry is not None and isinstance(entry.detail, HeartbeatDetail)
    assert (entry.detail.SentAt, entry.detail.WatchStart) == (T0, datetime(2026, 10, 1, tzinfo=UTC))
    with pytest.raises(ForgedClaimError):
        forwarder.entry(watcher, {})


COMPUTE = Compute(
    child_jobs={"training": 3, "processing": 1, "transform": 1},
    instance_seconds={"ml.m5.4xlarge": 5400.0},
    billable_seconds=4200.0,
    spot_savings_seconds=1200.0,
    estimated_cost=EstimatedCost(amount=1.08, currency="USD", basis="on-demand list price, eu-west-1, fetched x"),
)


def costed_image(rec: ReportRecord, compute: Compute = COMPUTE, sealer: Sealer = SEALER) -> dict[str, object]:
    """The latest item once the spoke's coster wrote the job's figures beside the reporter's sealed record."""
    seal = sealer.compute_seal(rec.job, compute)
    return {**sealed_image(rec), c.COMPUTE: compute.model_dump(mode="json"), c.COMPUTE_SEAL: seal}


def test_the_coster_s_write_is_sent_as_the_jobs_figures_with_its_record():
    forwarder = Forwarder(FakeHubSender(), SEALER)
    before, after = sealed_image(record()), costed_image(record())
    assert forwarded_type(after, before) == c.REPORT_DETAIL_TYPE
    entry = forwarder.entry(after, before)
    assert entry is not None and isinstance(entry.detail, ReportDetail)
    assert entry.detail.Compute == COMPUTE and entry.detail.Claimed is False  # the claim went with the report
    assert entry.detail.Record.job_name == "churn-2026-11-01" and entry.resources == (record().job_arn,)
    assert forwarder.entry(after, after) is None  # a later write that leaves the figures as they were
    report = forwarder.entry(sealed_image(record()), {})  # a report carries no figures
    assert report is not None and isinstance(report.detail, ReportDetail) and report.detail.Compute is None


def test_only_figures_the_spoke_sealed_leave_for_the_hub():
    forwarder = Forwarder(FakeHubSender(), SEALER)
    before = sealed_image(record())
    unsealed = {k: v for k, v in costed_image(record()).items() if k != c.COMPUTE_SEAL}
    altered = {**costed_image(record()), c.COMPUTE: {**COMPUTE.model_dump(mode="json"), "billable_seconds": 1.0}}
    elsewhere = costed_image(record(), sealer=Sealer(FakeSealKey(key=b"another stack")))
    for image_, why in ((unsealed, "no seal"), (altered, "does not match"), (elsewhere, "does not match")):
        with pytest.raises(ForgedClaimError, match=why):
            forwarder.entry(image_, before)
    other_job = {
        **sealed_image(record()),
        **{k: v for k, v in costed_image(record(name="b")).items() if "compute" in k},
    }
    with pytest.raises(ForgedClaimError):  # figures sealed for another job
        forwarder.entry(other_job, before)


def test_a_stream_batch_is_one_send():
    sender = FakeHubSender()
    result = Forwarder(sender).forward([report_entry(record(), True), heartbeat_entry(T0, None, None)])
    assert (result.sent, sender.calls) == (2, 1)
    assert Forwarder(sender).forward([]).sent == 0 and sender.calls == 1  # nothing to send: no call


# --- no account can speak for another ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("named_by", "event"),
    [
        ("its job ARN", lambda: report_event(record(account=OTHER))),
        ("its account_id", lambda: report_event(record(), account_id=OTHER)),
        (
            "a stuck claim's ARN",
            lambda: forwarded(
                c.STUCK_DETAIL_TYPE, StuckDetail(Record=record(account=OTHER), AlertedAt=T0).model_dump(mode="json")
            ),
        ),
    ],
)
def test_a_report_naming_another_account_than_its_envelope_is_refused_and_stored_nowhere(named_by, event):
    recorder, store = hub()
    receipt = recorder.receive(event())
    assert receipt.outcome is Received.REFUSED, named_by
    assert OTHER in receipt.reason and receipt.sender.account == TEAM
    assert store.records == {} and store.claims == [] and store.stuck_claims == []


def test_the_account_is_the_envelopes_and_the_region_the_job_arns():
    recorder, store = hub()
    # Forwarded from eu-west-1 to a hub in us-east-1: the envelope's region is the origin's, the ARN's rules.
    event = ForwardedEvent.of(
        HubEvent.model_validate(
            envelope(
                c.REPORT_DETAIL_TYPE,
                ReportDetail(Record=record(region="eu-west-1")).model_dump(mode="json"),
                region="us-east-1",
            )
        )
    )
    recorder.receive(event)
    [stored] = store.records.values()
    assert (stored.account_id, stored.region) == (TEAM, "eu-west-1")
    assert list(store.records) == [f"{TEAM}#eu-west-1#churn-2026-11-01"]


def test_the_account_name_is_the_hubs_never_the_senders():
    recorder, store = hub()
    recorder.receive(report_event(record(account_name="prod-payments")))
    recorder.receive(report_event(record(name="b", account=OTHER, account_name="prod-payments"), account=OTHER))
    names = {rec.account_id: rec.account_name for rec in store.records.values()}
    assert names == {TEAM: "team-churn", OTHER: None}


# --- the hub's writes: idempotent, order-safe, one notification per job ----------------------------------------


def test_one_hub_record_and_one_claim_per_job_whatever_arrives_twice_or_late():
    recorder, store = hub()
    running, ended = record(status="InProgress"), record(minutes=30)
    outcomes = [
        recorder.receive(report_event(ended, claimed=True)).outcome,
        recorder.receive(report_event(ended, claimed=True)).outcome,  # a duplicate
        recorder.receive(report_event(running, claimed=False)).outcome,  # late: older
    ]
    assert outcomes == [Received.CLAIMED, Received.UNCHANGED, Received.UNCHANGED]
    [stored] = store.records.values()
    assert stored.status == "Completed" and stored.account_name == "team-churn"
    assert [claim.job_name for claim in store.claims] == [ended.job_name]


def test_the_same_name_in_two_accounts_is_two_jobs_each_notified():
    recorder, store = hub()
    recorder.receive(report_event(record()))
    recorder.receive(report_event(record(account=OTHER), account=OTHER))
    assert len(store.records) == 2 and len(store.claims) == 2


def test_the_hub_claims_only_what_its_spoke_claimed_and_its_own_statuses_notify():
    recorder, store = hub()
    recorder.receive(report_event(record(name="quiet"), claimed=False))  # ended before the spoke's watch
    recorder.notify_statuses = ("Failed",)
    recorder.receive(report_event(record(name="done"), claimed=True))
    recorder.receive(report_event(record(name="broken", status="Failed"), claimed=True))
    assert [claim.job_name for claim in store.claims] == ["broken"]
    assert store.records[f"{TEAM}#eu-west-1#quiet"].notified_at is None


def test_a_forwarded_stuck_claim_alerts_once_per_stall_and_never_for_a_job_that_moved_on():
    recorder, store = hub()
    stalled = record(status="InProgress")
    detail = StuckDetail(Record=stalled, AlertedAt=T0 + timedelta(hours=4)).model_dump(mode="json")
    assert recorder.receive(forwarded(c.STUCK_DETAIL_TYPE, detail)).outcome is Received.STUCK_CLAIMED
    assert recorder.receive(forwarded(c.STUCK_DETAIL_TYPE, detail)).outcome is Received.UNCHANGED
    recorder.receive(report_event(record(minutes=300), claimed=True))
    assert recorder.receive(forwarded(c.STUCK_DETAIL_TYPE, detail)).outcome is Received.UNCHANGED
    assert len(store.stuck_claims) == 1


# --- a job's cost figures at the hub -------------------------------------------------------------------------


def compute_event(rec: ReportRecord, account: str = TEAM, compute: Compute = COMPUTE) -> ForwardedEvent:
    return forwarded(c.REPORT_DETAIL_TYPE, ReportDetail(Record=rec, Compute=compute).model_dump(mode="json"), account)


def test_the_hub_writes_a_jobs_figures_onto_its_record_once():
    recorder, store = hub()
    recorder.receive(report_event(record(), claimed=True))
    claims = list(store.claims)
    assert recorder.receive(compute_event(record())).outcome is Received.COSTED
    [stored] = store.records.values()
    assert stored.compute == COMPUTE and stored.status == "Completed" and stored.account_name == "team-churn"
    again = COMPUTE.model_copy(update={"billable_seconds": 1.0})
    assert recorder.receive(compute_event(record(), compute=again)).outcome is Received.UNCHANGED  # costed already
    assert store.records[f"{TEAM}#eu-west-1#churn-2026-11-01"].compute == COMPUTE
    assert store.claims == claims  # figures claim nothing


def test_figures_before_any_report_create_no_record_and_are_delivered_again():
    recorder, store = hub()
    with pytest.raises(ReportNotYetError, match="churn-2026-11-01"):
        recorder.receive(compute_event(record()))
    assert store.records == {}
    recorder.receive(report_event(record(status="InProgress"), claimed=False))  # the report arrives meanwhile
    assert recorder.receive(compute_event(record())).outcome is Received.COSTED
    recorder.receive(report_event(record(minutes=30), claimed=True))  # a later state keeps the figures
    [stored] = store.records.values()
    assert stored.status == "Completed" and stored.compute == COMPUTE


@pytest.mark.parametrize("named_by", ["its job ARN", "its account_id"])
def test_figures_naming_another_account_than_their_envelope_are_refused(named_by):
    recorder, store = hub()
    recorder.receive(report_event(record(account=OTHER), account=OTHER))
    if named_by == "its job ARN":
        event = compute_event(record(account=OTHER))  # sent by TEAM for OTHER's job
    else:
        detail = ReportDetail(Record=record(), Compute=COMPUTE).model_dump(mode="json")
        detail["Record"]["account_id"] = OTHER
        event = forwarded(c.REPORT_DETAIL_TYPE, detail)
    receipt = recorder.receive(event)
    assert receipt.outcome is Received.REFUSED and OTHER in receipt.reason
    assert all(rec.compute is None for rec in store.records.values())


def test_the_hubs_notifier_sends_nothing_for_a_jobs_figures():
    notified = sealed_image(record())
    assert claim_in(costed_image(record()), notified) is None


# --- heartbeats and silent spokes ------------------------------------------------------------------------------


def test_the_watcher_writes_a_heartbeat_at_most_once_an_hour_on_passes_that_run_anyway():
    store, clock = FakeStore(), Clock(T0)
    watcher = Watcher(
        jobs=FakeJobs(),
        store=store,
        publisher=FakePublisher(),
        overlap=timedelta(minutes=5),
        heartbeat_every=timedelta(minutes=c.HEARTBEAT_MINUTES),
        clock=clock,
    )
    beats = []
    for minute in range(0, 150):
        clock.moment = T0 + timedelta(minutes=minute)
        beats.append(watcher.tick(DetectedBy.SCHEDULE).heartbeat)
    assert store.heartbeats == [T0, T0 + timedelta(minutes=60), T0 + timedelta(minutes=120)]
    assert sum(beats) == 3
    assert watcher.tick(DetectedBy.CLOUDTRAIL).heartbeat is False  # a nudge's pass is about a job
    standalone = Watcher(jobs=FakeJobs(), store=FakeStore(), publisher=FakePublisher(), overlap=timedelta(0))
    assert standalone.tick(DetectedBy.SCHEDULE).heartbeat is False


def heartbeat_event(sent_at: datetime, account: str = TEAM, region: str = "eu-west-1") -> ForwardedEvent:
    detail = HeartbeatDetail(Version="0.1.0", SentAt=sent_at, WatchStart=T0 - timedelta(days=1)).model_dump(mode="json")
    return ForwardedEvent.of(HubEvent.model_validate(envelope(c.HEARTBEAT_DETAIL_TYPE, detail, account, region)))


def test_a_silent_spoke_gets_one_message_per_silence():
    recorder, store = hub()
    clock = Clock(T0)
    monitor = SpokeMonitor(store=store, silent_after=timedelta(minutes=180), clock=clock)
    recorder.receive(heartbeat_event(T0))
    recorder.receive(heartbeat_event(T0, region="us-east-1"))
    claimed = []
    for minutes in range(0, 6 * 60, 15):  # the monitor's schedule, six hours
        clock.moment = T0 + timedelta(minutes=minutes)
        if minutes == 60:  # us-east-1 keeps beating; eu-west-1 has gone quiet
            for beat in range(1, 6):
                recorder.receive(heartbeat_event(T0 + timedelta(hours=beat), region="us-east-1"))
        claimed.append(monitor.check().claimed)
    assert sum(claimed) == 1
    assert [(place.region, at) for place, at in store.silence_claims] == [("eu-west-1", T0 + timedelta(minutes=195))]
    # Heard from again, then silent again: alerted again (and us-east-1, quiet since its last beat at 5 h).
    recorder.receive(heartbeat_event(T0 + timedelta(hours=6)))
    clock.moment = T0 + timedelta(hours=9, minutes=15)
    assert monitor.check().claimed == 2 and monitor.check().claimed == 0
    assert [place.region for place, _ in store.silence_claims] == ["eu-west-1", "us-east-1", "eu-west-1"]
    assert store.spokes[Place(TEAM, "eu-west-1")].account_name == "team-churn"


def test_an_older_heartbeat_never_overwrites_a_newer_one():
    recorder, store = hub()
    assert recorder.receive(heartbeat_event(T0 + timedelta(hours=1))).outcome is Received.HEARTBEAT
    assert recorder.receive(heartbeat_event(T0)).outcome is Received.UNCHANGED
    assert store.spokes[Place(TEAM, "eu-west-1")].last_heartbeat == T0 + timedelta(hours=1)


def test_the_silence_message_names_the_account_and_region():
    spoke = SpokeStatus(Place(TEAM, "eu-west-1"), T0, version="0.1.0", account_name="team-churn")
    notification = render_silence(spoke, T0 + timedelta(hours=3, minutes=15))
    assert notification.attributes == {"event_type": "spoke_silent", "account_id": TEAM, "region": "eu-west-1"}
    assert "111122223333 (team-churn)" in notification.subject and "3h 15m" in notification.subject
    assert "Account:        111122223333 (team-churn)" in notification.message["email"]
    assert json.loads(notification.message["sqs"])["quiet_seconds"] == 3 * 3600 + 900
    chat = json.loads(notification.message["https"])
    assert chat["metadata"]["threadId"] == f"autopilot-reports-spoke-{TEAM}-eu-west-1"
    silent_item = {c.SORT_KEY: c.SPOKE_SK, c.SILENT_ALERTED_FOR: 1}
    assert claim_in(silent_item, {c.SORT_KEY: c.SPOKE_SK}) is Claim.SPOKE_SILENT
    assert claim_in(silent_item, silent_item) is None  # a heartbeat after an alert claims nothing


def test_the_hubs_notifier_sends_a_silence_only_as_sealed():
    spoke = SpokeStatus(Place(TEAM, "eu-west-1"), T0, version="0.1.0", account_name="team-churn")
    item = {c.SORT_KEY: c.SPOKE_SK, **spoke_attributes(spoke)}
    item[c.SEAL] = SEALER.spoke_seal(item)
    heard = int(T0.timestamp() * 1000)
    claim = {c.SILENT_ALERTED_FOR: heard, c.SILENT_NOTIFIED_AT: "2026-11-01T11:15:00.000Z"}
    claim[c.SILENT_SEAL] = SEALER.silence_seal(TEAM, "eu-west-1", heard, claim[c.SILENT_NOTIFIED_AT])
    sent = FakeNotifier()
    NotificationSender(sent, SEALER, organization=True).send_claim(Claim.SPOKE_SILENT, {**item, **claim})
    assert [notification.attributes["event_type"] for notification in sent.sent] == ["spoke_silent"]
    with pytest.raises(ForgedClaimError):  # a name the hub never gave
        NotificationSender(sent, SEALER).send_claim(Claim.SPOKE_SILENT, {**item, **claim, "account_name": "x"})


# --- messages and the digest across the organization -------------------------------------------------------------


def test_a_hubs_messages_name_the_account_in_subject_and_thread():
    rec = record(account_name="team-churn")
    hub_message = render_notification(rec, organization=True)
    assert hub_message.subject.endswith("(team-churn)")
    assert hub_message.attributes["account_id"] == TEAM and hub_message.attributes["region"] == "eu-west-1"
    assert "Account:        111122223333 (team-churn)" in hub_message.message["email"]
    assert (
        json.loads(hub_message.message["https"])["metadata"]["threadId"]
        == f"automl-job-{TEAM}-eu-west-1-{rec.job_name}"
    )
    standalone = render_notification(rec)
    assert json.loads(standalone.message["https"])["metadata"]["threadId"] == f"automl-job-eu-west-1-{rec.job_name}"
    sent = FakeNotifier()
    NotificationSender(sent, organization=True).send(rec)  # what it sends once the seal verified
    assert sent.sent[0].subject == hub_message.subject


def test_the_organizations_digest_counts_by_account_and_names_each_jobs_account():
    store = FakeHubStore()
    recorder = HubRecorder(store=store, account_names=NAMES)
    for rec, account in [
        (record(), TEAM),
        (record(status="Failed", name="fraud-1"), TEAM),
        (record(account=OTHER), OTHER),
        (record(account=OTHER, region="us-east-1", status="Stopped", name="x"), OTHER),
    ]:
        recorder.receive(report_event(rec, account=account))
    digester = Digester(store=store, period=timedelta(days=1), organization=True, clock=Clock(T0 + timedelta(hours=1)))
    result = digester.send(None)
    digest = result.digest
    assert result.committed and digest.organization
    assert digest.counts == {"Completed": 2, "Failed": 1, "Stopped": 1, "InProgress": 0}
    assert [(a.account_id, a.account_name, a.regions, a.counts["Completed"]) for a in digest.accounts] == [
        (TEAM, "team-churn", ["eu-west-1"], 1),
        (OTHER, None, ["eu-west-1", "us-east-1"], 1),
    ]
    assert digest.failed == ["fraud-1 (111122223333 (team-churn), eu-west-1)"]
    assert {family.family for family in digest.families} >= {"churn (111122223333 (team-churn), eu-west-1)"}
    message = render_digest(digest)
    assert "across the organization" in message.subject
    assert (
        "BY ACCOUNT (2)" in message.message["email"]
        and "444455556666 (eu-west-1, us-east-1)" in message.message["email"]
    )
    assert store.watch_start == T0 + timedelta(hours=1)  # the hub's first digest began its watch


def test_the_organizations_digest_totals_cost_by_account_and_by_each_places_family():
    recorder, store = hub()
    for rec, account in [(record(), TEAM), (record(account=OTHER), OTHER), (record(name="b", account=OTHER), OTHER)]:
        recorder.receive(report_event(rec, account=account))
        recorder.receive(compute_event(rec, account=account))
    digester = Digester(store=store, period=timedelta(days=1), organization=True, clock=Clock(T0 + timedelta(hours=1)))
    cost = digester.send(None).digest.cost
    assert cost is not None and (cost.total, cost.costed_jobs) == (3.24, 3)
    assert cost.by_account == {OTHER: 2.16, TEAM: 1.08}
    assert cost.by_family == {  # one name in two accounts: two families
        "churn (444455556666, eu-west-1)": 2.16,
        "churn (111122223333 (team-churn), eu-west-1)": 1.08,
    }
