from datetime import UTC, datetime, timedelta

import pytest

from autopilot_reports import constants as c
from autopilot_reports.domain.description import describe_job
from autopilot_reports.domain.ports import EventPublishError, KnownState
from autopilot_reports.domain.reporter import build_record
from autopilot_reports.domain.watcher import Watcher, is_news
from autopilot_reports.models.events import DetectedBy, ImportRequest
from autopilot_reports.models.record import Explainability, HistoryEntry, progress
from testsupport.fakes import FakeBacklog, FakeJobs, FakePublisher, FakeStore

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
DEPLOYED = T0 - timedelta(minutes=2)


def summary(name, status="InProgress", secondary="Starting", minutes=0, created=0):
    return {
        "AutoMLJobName": name,
        "AutoMLJobArn": f"arn:aws:sagemaker:us-east-1:123456789012:automl-job/{name}",
        "AutoMLJobStatus": status,
        "AutoMLJobSecondaryStatus": secondary,
        "CreationTime": T0 + timedelta(minutes=created),
        "LastModifiedTime": T0 + timedelta(minutes=minutes),
    }


def make_watcher(summaries, prefix="", store=None, clock=DEPLOYED):
    return Watcher(
        jobs=FakeJobs(summaries=summaries),
        store=store or FakeStore(),
        publisher=FakePublisher(),
        overlap=timedelta(minutes=5),
        job_name_prefix=prefix,
        import_pages_per_piece=2,
        clock=lambda: clock,
    )


def store_state(store, item):
    job = describe_job("v1", item)
    record = build_record(job, Explainability(state="pending"), None, None)
    store.save_report(record, HistoryEntry.of(record, None), claim_notification=False)


def test_first_tick_starts_from_the_watch_start_and_sets_the_watermark_from_sagemaker_times():
    old = summary("old", "Completed", "Completed", minutes=-60 * 24 * 30, created=-60 * 24 * 31)
    watcher = make_watcher([old, summary("a", minutes=1), summary("b", minutes=3)])

    result = watcher.tick(DetectedBy.SCHEDULE)

    assert watcher.store.watch_start == DEPLOYED
    assert watcher.jobs.list_calls[0][0] == DEPLOYED - timedelta(minutes=5)  # never the beginning of time
    assert (result.listed, result.published) == (2, 2)
    assert [event.AutoMLJobName for event in watcher.publisher.published] == ["a", "b"]
    # held at the oldest change published (SageMaker's time), until the table shows it stored
    assert watcher.store.watermark == T0 + timedelta(minutes=1)
    event = watcher.publisher.published[0]
    assert event.DetectedBy is DetectedBy.SCHEDULE and event.PreviousStatus is None


def test_the_watch_start_is_kept_once_set():
    watcher = make_watcher([])
    watcher.tick(DetectedBy.SCHEDULE)
    watcher.clock = lambda: DEPLOYED + timedelta(days=1)
    watcher.tick(DetectedBy.SCHEDULE)
    assert watcher.store.watch_start == DEPLOYED


def test_a_watermark_from_an_older_stack_version_is_an_earlier_watch_start():
    store = FakeStore(watermark=T0 - timedelta(hours=1))
    watcher = make_watcher([], store=store, clock=T0)
    watcher.tick(DetectedBy.SCHEDULE)
    assert store.watch_start == T0 - timedelta(hours=1)
    assert watcher.jobs.list_calls[0][0] == T0 - timedelta(hours=1, minutes=5)


def test_next_tick_lists_from_watermark_minus_overlap_and_skips_known_states():
    watcher = make_watcher([summary("a", minutes=1)])
    watcher.tick(DetectedBy.SCHEDULE)
    store_state(watcher.store, summary("a", minutes=1))  # the reporter recorded "a" as listed

    result = watcher.tick(DetectedBy.SCHEDULE)
    assert watcher.jobs.list_calls[1][0] == T0 + timedelta(minutes=1) - timedelta(minutes=5)
    assert result.published == 0

    watcher.jobs.summaries = [summary("a", "InProgress", "ModelTuning", minutes=7)]
    watcher.tick(DetectedBy.CLOUDTRAIL)
    change = watcher.publisher.published[-1]
    assert (change.PreviousStatus, change.PreviousSecondaryStatus) == ("InProgress", "Starting")
    assert change.AutoMLJobSecondaryStatus == "ModelTuning"
    assert change.DetectedBy is DetectedBy.CLOUDTRAIL


def test_watermark_stays_when_publishing_fails():
    watcher = make_watcher([summary("a", minutes=1)])
    watcher.publisher.fail = True
    with pytest.raises(EventPublishError):
        watcher.tick(DetectedBy.SCHEDULE)
    assert watcher.store.watermark is None


def test_a_burst_of_nudges_costs_one_listing_and_a_later_change_another():
    """Each nudge of a burst would page through every job the burst changed: the first pass lists them all,
    and a nudge whose event happened (settled) before a pass began listing was seen by that pass."""
    store = FakeStore(watch_start=DEPLOYED)
    clock = [T0 + timedelta(minutes=10)]
    watcher = make_watcher([summary(f"job-{index}", minutes=index % 9) for index in range(50)], store=store)
    watcher.clock = lambda: clock[0]
    created = [T0 + timedelta(minutes=index % 9) for index in range(50)]

    results = [watcher.tick(DetectedBy.CLOUDTRAIL, moment) for moment in created]

    assert len(watcher.jobs.list_calls) == 1 and store.listed_at == T0 + timedelta(minutes=10)
    assert [result.covered for result in results] == [False] + [True] * 49
    assert len(watcher.publisher.published) == 50
    # A nudge within the settling time of the listing, or after it, lists again.
    settling = clock[0] - timedelta(seconds=c.NUDGE_SETTLE_SECONDS - 1)
    clock[0] += timedelta(minutes=1)
    assert not watcher.tick(DetectedBy.CLOUDTRAIL, settling).covered
    assert len(watcher.jobs.list_calls) == 2
    # The schedule always lists.
    assert not watcher.tick(DetectedBy.SCHEDULE).covered and len(watcher.jobs.list_calls) == 3


def test_a_pass_whose_changes_were_not_published_covers_no_nudge():
    watcher = make_watcher([summary("a", minutes=1)])
    watcher.publisher.fail = True
    with pytest.raises(EventPublishError):
        watcher.tick(DetectedBy.CLOUDTRAIL, T0)
    assert watcher.store.listed_at is None
    watcher.publisher.fail = False
    assert not watcher.tick(DetectedBy.CLOUDTRAIL, T0).covered
    assert [event.AutoMLJobName for event in watcher.publisher.published] == ["a"]


def test_prefix_filter_is_a_prefix_not_a_substring():
    watcher = make_watcher([summary("team-a-1"), summary("x-team-a-2")], prefix="team-a")
    watcher.tick(DetectedBy.SCHEDULE)
    assert [event.AutoMLJobName for event in watcher.publisher.published] == ["team-a-1"]


def test_a_listing_older_than_the_record_is_not_news():
    known = KnownState("Completed", "Completed", progress(T0 + timedelta(minutes=10), "Completed", "Completed"))
    assert not is_news(summary("a", "InProgress", "ModelTuning", minutes=5), known)
    assert not is_news(summary("a", "Completed", "Completed", minutes=10), known)
    assert is_news(summary("a", "Completed", "Completed", minutes=11), known)
    assert is_news(summary("a"), None)


def test_two_overlapping_ticks_never_move_the_watermark_back_nor_lose_a_change():
    """Tick 1 reads the state and lists; tick 2 runs whole in between (seeing a change tick 1 missed);
    then tick 1 publishes and advances. Both changes are published; the watermark ends at the newest."""
    store = FakeStore()
    first = make_watcher([summary("a", minutes=1)], store=store)
    second = make_watcher([summary("a", minutes=1), summary("b", minutes=9)], store=store)
    original_list = first.jobs.list_jobs

    def list_then_let_the_other_tick_run(*args):
        listed = list(original_list(*args))
        second.tick(DetectedBy.CLOUDTRAIL)  # the overlapping tick, complete before this one goes on
        return iter(listed)

    first.jobs.list_jobs = list_then_let_the_other_tick_run
    first.tick(DetectedBy.SCHEDULE)

    published = {event.AutoMLJobName for event in first.publisher.published + second.publisher.published}
    assert published == {"a", "b"}
    store_state(store, summary("a", minutes=1))
    store_state(store, summary("b", minutes=9))
    first.jobs.list_jobs = original_list
    first.tick(DetectedBy.SCHEDULE)
    second.tick(DetectedBy.SCHEDULE)
    assert store.watermark == T0 + timedelta(minutes=9)  # both stored: it moves on to the newest, never back
    first.tick(DetectedBy.SCHEDULE)  # a late tick that saw only the older job
    assert store.watermark == T0 + timedelta(minutes=9)


def test_a_change_the_reporter_never_stored_is_published_again_by_the_next_tick():
    """An event lost on its way (the reporter died on every retry) heals without an operator."""
    watcher = make_watcher([summary("a", "Completed", "Completed", minutes=1), summary("b", minutes=2)])
    watcher.tick(DetectedBy.SCHEDULE)
    store_state(watcher.store, summary("b", minutes=2))  # "b" was stored; "a"'s event was lost
    watcher.publisher.published.clear()

    watcher.tick(DetectedBy.SCHEDULE)

    assert [event.AutoMLJobName for event in watcher.publisher.published] == ["a"]
    store_state(watcher.store, summary("a", "Completed", "Completed", minutes=1))
    watcher.tick(DetectedBy.SCHEDULE)
    assert watcher.store.watermark == T0 + timedelta(minutes=2)  # healed: the watermark moves on


def test_a_change_that_never_stores_holds_the_watermark_back_one_window_at_most():
    watcher = make_watcher([summary("poison", minutes=1), summary("later", minutes=200)])
    watcher.tick(DetectedBy.SCHEDULE)
    assert watcher.store.watermark == T0 + timedelta(minutes=200) - timedelta(hours=1)


# --- history import ----------------------------------------------------------------------------------


def history(count):
    """`count` jobs that ended a month before the deploy, created a minute apart."""
    return [
        summary(f"old-{index:04d}", "Completed", "Completed", minutes=-40_000 + index, created=-50_000 + index)
        for index in range(count)
    ]


def test_the_first_tick_in_an_account_with_history_costs_what_any_tick_costs():
    watcher = make_watcher(history(500))
    result = watcher.tick(DetectedBy.SCHEDULE)
    assert (result.listed, result.published) == (0, 0)
    assert watcher.store.watermark is None


def test_history_import_runs_in_bounded_pieces_and_hands_the_rest_on():
    watcher = make_watcher(history(450))
    watcher.jobs.page_size = 100
    request = ImportRequest(start=T0 - timedelta(days=60), end=DEPLOYED)

    piece = watcher.import_history(request)

    assert (piece.listed, piece.published, piece.continued) == (200, 200, True)  # 2 pages of 100
    assert piece.progress.status == "running"
    continuation = watcher.publisher.continuations[-1]
    assert continuation.pieces == 1 and continuation.jobs_seen == 200

    while watcher.publisher.continuations and not watcher.store.imports[request.import_id].status == "done":
        watcher.import_history(watcher.publisher.continuations.pop())

    progress_item = watcher.store.imports[request.import_id]
    assert progress_item.status == "done"
    assert progress_item.pieces == 3
    published = [event.AutoMLJobName for event in watcher.publisher.published]
    assert sorted(set(published)) == [f"old-{index:04d}" for index in range(450)]  # none missed
    assert all(event.DetectedBy is DetectedBy.BACKFILL for event in watcher.publisher.published)
    assert watcher.store.watermark is None  # an import never moves the watermark


def test_history_import_skips_what_the_table_knows_unless_forced():
    jobs = history(3)
    watcher = make_watcher(jobs)
    store_state(watcher.store, jobs[0])
    request = ImportRequest(start=T0 - timedelta(days=60), end=DEPLOYED)
    assert watcher.import_history(request).published == 2
    assert watcher.import_history(request.model_copy(update={"force": True})).published == 3


def test_history_import_range_is_half_open_on_creation_time():
    jobs = history(3)
    start = jobs[0]["CreationTime"]
    end = jobs[2]["CreationTime"]
    watcher = make_watcher(jobs)
    result = watcher.import_history(ImportRequest(start=start, end=end))
    assert [event.AutoMLJobName for event in watcher.publisher.published] == ["old-0000", "old-0001"]
    assert result.progress.status == "done"


def test_starting_an_unfinished_import_again_resumes_it_from_its_cursor():
    watcher = make_watcher(history(450))
    request = ImportRequest(start=T0 - timedelta(days=60), end=DEPLOYED)
    watcher.import_history(request)  # the first piece; its hand-on event is lost
    watcher.publisher.published.clear()

    resumed = watcher.import_history(request)  # the user runs the same command again

    assert resumed.progress.pieces == 2 and resumed.progress.jobs_seen > 200
    first_listed = watcher.jobs.list_calls[-2][0]
    assert first_listed > request.start  # from the cursor, not from the start of the range
    assert "old-0000" not in {event.AutoMLJobName for event in watcher.publisher.published}


# --- a backlog does not feed itself (docs/design.md §2.1) ---------------------------------------------


def test_a_change_still_waiting_in_the_reporters_queue_is_not_published_again():
    """The burst of issue 19: every tick re-published every change not stored yet, so a backlog grew by
    itself. Now a change an earlier pass published goes out again only when it cannot still be queued."""
    backlog = FakeBacklog(messages=0)
    changes = [summary(f"job-{index}", "Completed", "Completed", minutes=1) for index in range(5)]
    watcher = make_watcher(changes)
    watcher.backlog = backlog
    first = watcher.tick(DetectedBy.SCHEDULE)
    assert (first.published, backlog.asked) == (5, 0)  # all new: published without asking the queue

    backlog.messages = 5  # all five still wait for the reporter
    second = watcher.tick(DetectedBy.SCHEDULE)
    assert (second.published, second.held_back, backlog.asked) == (0, 5, 1)
    assert watcher.store.watermark == T0 + timedelta(minutes=1)  # held at the unstored changes all the same

    backlog.messages = 3  # two are not in the queue any more (dead-lettered, lost): the two oldest go again
    watcher.jobs.summaries[3]["LastModifiedTime"] = T0 + timedelta(seconds=50)
    watcher.jobs.summaries[4]["LastModifiedTime"] = T0 + timedelta(seconds=40)
    watcher.publisher.published.clear()
    third = watcher.tick(DetectedBy.SCHEDULE)
    assert [event.AutoMLJobName for event in watcher.publisher.published] == ["job-4", "job-3"]
    assert (third.published, third.held_back) == (2, 3)


def test_an_empty_queue_means_every_unstored_change_was_lost_and_a_new_change_never_waits():
    backlog = FakeBacklog(messages=0)
    watcher = make_watcher([summary("a", "Completed", "Completed", minutes=1)])
    watcher.backlog = backlog
    watcher.tick(DetectedBy.SCHEDULE)
    watcher.publisher.published.clear()

    backlog.messages = 7  # others' changes wait; "a" and a change newer than anything listed before
    watcher.jobs.summaries.append(summary("b", minutes=4))
    watcher.tick(DetectedBy.SCHEDULE)
    assert [event.AutoMLJobName for event in watcher.publisher.published] == ["b"]

    backlog.messages = 0  # nothing waits: "a" (and "b") were lost on the way
    watcher.publisher.published.clear()
    watcher.tick(DetectedBy.SCHEDULE)
    assert sorted(event.AutoMLJobName for event in watcher.publisher.published) == ["a", "b"]


def test_without_a_queue_to_ask_an_unstored_change_is_published_on_every_tick():
    watcher = make_watcher([summary("a", minutes=1)])  # no backlog: the stack's settings name no queue
    watcher.tick(DetectedBy.SCHEDULE)
    watcher.tick(DetectedBy.SCHEDULE)
    assert [event.AutoMLJobName for event in watcher.publisher.published] == ["a", "a"]


def test_the_newest_change_listed_is_recorded_with_the_pass():
    watcher = make_watcher([summary("a", minutes=1), summary("b", minutes=3)])
    watcher.tick(DetectedBy.SCHEDULE)
    assert watcher.store.published_through == T0 + timedelta(minutes=3)


def test_a_change_listed_with_microseconds_is_known_published_by_the_milliseconds_the_table_keeps():
    listed = summary("a", "Completed", "Completed", minutes=1)
    listed["LastModifiedTime"] += timedelta(microseconds=182_533)
    store = FakeStore(watch_start=DEPLOYED)
    watcher = make_watcher([listed], store=store)
    watcher.backlog = FakeBacklog(messages=1)
    watcher.tick(DetectedBy.SCHEDULE)
    store.published_through = store.published_through.replace(microsecond=182_000)  # as DynamoDB keeps it

    assert watcher.tick(DetectedBy.SCHEDULE).held_back == 1
