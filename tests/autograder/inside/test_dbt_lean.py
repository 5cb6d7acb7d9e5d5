"""dbt's per-call chores done the cheap way (inside/dbt_lean.py) give dbt's own results: the same
behaviour-flag source, the same event messages byte for byte, the same console output, the same
log file rollovers and event times. The differential test replays every event a real
`dbt run` / `dbt test` / failing run built."""

from __future__ import annotations

import json
import os

import pytest

from autograder.inside import dbt_lean
from tests.autograder.helpers import run_python
from tests.autograder.inside.test_dbt_reuse import (  # noqa: F401 - project: a fixture
    console,
    project,
    run_driver,
)


def _flag_source_seen_from_here() -> str:
    from dbt_common.behavior_flags import BehaviorFlagRendered

    flag = {"name": "lean_probe", "default": False, "docs_url": "https://example.invalid"}
    return BehaviorFlagRendered(flag, {})._behavior_change_event.flag_source


def test_a_behaviour_flag_names_the_module_that_declared_it(monkeypatch) -> None:
    from dbt_common.behavior_flags import BehaviorFlagRendered

    by_dbt = _flag_source_seen_from_here()
    monkeypatch.setattr(BehaviorFlagRendered, "_default_source", staticmethod(dbt_lean.flag_source))
    assert _flag_source_seen_from_here() == by_dbt == __name__


def test_the_constructor_is_used_only_where_it_builds_what_parse_dict_builds() -> None:
    from dbt.adapters.events import adapter_types_pb2 as adapter
    from dbt.events import core_types_pb2 as core

    node = {"node_name": "stg", "meta": {"owner": None, "tags": [1, "x", True]}}
    assert dbt_lean._constructor_builds_the_same(
        {"conn_name": "c", "sql": "select 1", "node_info": node}, adapter.SQLQuery.DESCRIPTOR
    )
    # protobuf's constructor takes a bool for a number, ParseDict refuses it
    assert not dbt_lean._constructor_builds_the_same(
        {"num_threads": True}, core.ConcurrencyLine.DESCRIPTOR
    )
    # and a number for a bool
    assert not dbt_lean._constructor_builds_the_same(
        {"success": 1}, core.CommandCompleted.DESCRIPTOR
    )
    # NaN and infinities: the constructor stores them, ParseDict refuses them
    for odd in (float("nan"), float("inf")):
        assert not dbt_lean._constructor_builds_the_same(
            {"elapsed": odd}, core.CommandCompleted.DESCRIPTOR
        )
    assert dbt_lean._constructor_builds_the_same({"elapsed": 1.5}, core.CommandCompleted.DESCRIPTOR)
    assert not dbt_lean._constructor_builds_the_same(
        {"numThreads": 2},
        core.ConcurrencyLine.DESCRIPTOR,  # a JSON name: ParseDict's alone
    )
    assert not dbt_lean._constructor_builds_the_same(
        {"conn_name": "c", "node_info": {"meta": {"when": object()}}}, adapter.SQLQuery.DESCRIPTOR
    )


# Runs dbt with nothing of dbt_lean installed, recording every event built and every message
# wrapped; then installs dbt_lean and builds each again, printing how many came out different
# and how many took the fast path (no ParseDict call). Finally the same dbt calls with dbt_lean
# and dbt_memo, as the harness makes them.
DRIVER = r"""
import contextlib, copy, io, json, sys
from pathlib import Path

from dbt.cli.main import dbtRunner
from dbt_common.events import base_types, event_manager

built, wrapped = [], []
plain_init, plain_wrap = base_types.BaseEvent.__init__, event_manager.msg_from_base_event
def recording_init(self, *args, **kwargs):
    built.append((type(self), args, copy.deepcopy(kwargs)))
    plain_init(self, *args, **kwargs)
def recording_wrap(event, level=None):
    wrapped.append((event, level))
    return plain_wrap(event, level=level)
base_types.BaseEvent.__init__, event_manager.msg_from_base_event = recording_init, recording_wrap

def calls():
    outputs = []
    for argv, write in json.loads(sys.argv[1]):
        for path, text in write.items():  # None: no such file
            Path(path).write_text(text) if text is not None else Path(path).unlink(missing_ok=True)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            result = dbtRunner().invoke(argv)
        outputs.append({"success": bool(result.success), "output": out.getvalue()})
    return outputs

calls()  # a first pass leaves dbt's saved parse, as the grader's sandboxes have one
built.clear(), wrapped.clear()
plain = calls()
base_types.BaseEvent.__init__, event_manager.msg_from_base_event = plain_init, plain_wrap
parses = []
real_parse = base_types.ParseDict
def counting_parse(*args, **kwargs):
    parses.append(1)
    return real_parse(*args, **kwargs)
base_types.ParseDict = counting_parse
base_types.get_json_string_utcnow = lambda: "2024-01-31T12:00:00.000001Z"  # both wrap alike

from autograder.inside import dbt_lean
dbt_lean.install()
event_diffs = 0
for cls, args, kwargs in built:
    again = object.__new__(cls)
    again.__init__(*args, **copy.deepcopy(kwargs))
    first = object.__new__(cls)
    plain_init(first, *args, **copy.deepcopy(kwargs))
    event_diffs += again.pb_msg.SerializeToString(deterministic=True) != (
        first.pb_msg.SerializeToString(deterministic=True))
events_parsed = len(parses)
message_diffs = 0
for event, level in wrapped:
    mine = event_manager.msg_from_base_event(event, level=level)
    dbts = plain_wrap(event, level=level)
    message_diffs += mine.SerializeToString(deterministic=True) != (
        dbts.SerializeToString(deterministic=True))
base_types.ParseDict = real_parse
from autograder.inside import dbt_memo
dbt_memo.install()  # the last calls as the harness makes them: with what dbt_memo remembers too
lean = calls()
print(json.dumps({
    "events": len(built), "event_diffs": event_diffs,
    "events_built_by_parse_dict": events_parsed - len(built),  # minus the plain rebuilds
    "messages": len(wrapped), "message_diffs": message_diffs,
    "plain": plain, "lean": lean,
}))
"""


@pytest.mark.slow
def test_real_dbt_calls_build_the_same_events_and_output(project) -> None:  # noqa: F811
    broken = project / "models" / "marts" / "lean_broken.sql"
    plan = [
        (["run"], {str(broken): None}),
        (["test"], {}),
        (["run"], {str(broken): "select * from a_table_that_is_not_there"}),  # error events
    ]
    plan = [([*argv, "--project-dir", ".", "--profiles-dir", "."], w) for argv, w in plan]
    driver = project.parent / "lean_driver.py"
    driver.write_text(DRIVER)
    found = json.loads(run_driver(project, driver, json.dumps(plan)).splitlines()[-1])
    assert [c["success"] for c in found["plain"]] == [True, True, False]
    assert found["events"] > 100 and found["messages"] > 100, found
    assert found["event_diffs"] == 0 and found["message_diffs"] == 0
    # the fast path really runs: nearly every event is built without ParseDict
    assert found["events_built_by_parse_dict"] < found["events"] / 10, found
    for plain, lean in zip(found["plain"], found["lean"], strict=True):
        assert lean["success"] == plain["success"]
        assert console(lean["output"]) == console(plain["output"])


def test_install_is_idempotent() -> None:
    code = (
        "from autograder.inside import dbt_lean\n"
        "from dbt_common.events import base_types, event_manager\n"
        "from dbt_common.events import logger\n"
        "def patched():\n"
        "    return (base_types.BaseEvent.__init__, event_manager.msg_from_base_event,\n"
        "            logger.RotatingFileHandler)\n"
        "dbt_lean.install(); first = patched()\n"
        "dbt_lean.install()\n"
        "assert first == patched()\n"
        "assert all(part.lean for part in first)\n"
    )
    run_python(code)


def test_dbt_errors_are_scrubbed_of_secrets_with_the_lean_reader() -> None:
    code = (
        "import os\n"
        "from autograder.inside import dbt_lean\n"
        "from dbt.exceptions import PackageNotFoundForMacroError\n"
        "from dbt_common.exceptions import DbtRuntimeError, base\n"
        "os.environ['DBT_ENV_SECRET_LEAN_PACKAGE'] = 'hunter2'\n"
        "dbt_lean.install()\n"
        "assert base.env_secrets.lean\n"
        "error = PackageNotFoundForMacroError('hunter2')\n"
        "assert error.msg == \"Could not find package '*****'\", error.msg\n"
        "os.environ['DBT_ENV_SECRET_LEAN_LATER'] = 'swordfish'  # read at each error\n"
        "assert DbtRuntimeError('swordfish and hunter2').msg == '***** and *****'\n"
    )
    run_python(code)


def test_secrets_are_the_same_values_dbt_finds(monkeypatch) -> None:
    from dbt_common.exceptions import env_secrets

    monkeypatch.setenv("DBT_ENV_SECRET_LEAN_TOKEN", "hunter2")
    monkeypatch.setenv("DBT_ENV_SECRET_LEAN_BLANK", "   ")  # dbt ignores blank secrets
    monkeypatch.setenv("DBT_ENV_SECRET_LEAN_ACCENT", "clé-é")
    monkeypatch.setenv("LEAN_NOT_A_SECRET", "visible")
    found = dbt_lean.secrets_reader(env_secrets)()
    assert found == env_secrets()
    assert {"hunter2", "clé-é"} <= set(found) and "visible" not in found


# ------------------------------------------------------------------- log file


def _fill(handler, lines: int) -> None:
    import logging

    handler.setFormatter(logging.Formatter("%(message)s"))
    for number in range(lines):
        record = logging.LogRecord("dbt", logging.DEBUG, __file__, 1, f"line {number}", None, None)
        handler.handle(record)
    handler.close()


def test_the_log_file_rolls_over_at_the_same_lines_as_with_logging_s_own_handler(tmp_path) -> None:
    from logging.handlers import RotatingFileHandler

    lean = dbt_lean.lean_rotating_handler(RotatingFileHandler)
    for name, cls in (("plain", RotatingFileHandler), ("lean", lean)):
        (tmp_path / name).mkdir()
        _fill(cls(tmp_path / name / "dbt.log", maxBytes=200, backupCount=3), 120)
    files = {
        name: {p.name: p.read_text() for p in (tmp_path / name).iterdir()}
        for name in ("plain", "lean")
    }
    assert len(files["plain"]) == 4  # the file and three backups
    assert files["lean"] == files["plain"]


def test_the_log_file_never_rolls_over_what_is_not_a_regular_file(tmp_path) -> None:
    from logging.handlers import RotatingFileHandler

    fifo = tmp_path / "dbt.log"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # so the handler can open it to write
    received = b""
    try:
        handler = dbt_lean.lean_rotating_handler(RotatingFileHandler)(fifo, maxBytes=10)
        _fill(handler, 5)
        while chunk := os.read(reader, 4096):
            received += chunk
    finally:
        os.close(reader)
    assert received.decode().splitlines() == [f"line {n}" for n in range(5)]  # every line
    assert [p.name for p in tmp_path.iterdir()] == ["dbt.log"]  # and no "dbt.log.1"


# ------------------------------------------------------------------- event times


def test_an_event_time_set_directly_is_the_one_the_text_round_trip_gives() -> None:
    import datetime

    from dbt_common.events.helpers import datetime_to_json_string
    from google.protobuf.timestamp_pb2 import Timestamp

    moments = [
        datetime.datetime(2024, 2, 29, 23, 59, 59, 999999),
        datetime.datetime(2026, 12, 31, 0, 0, 0, 0),
        datetime.datetime(1999, 1, 1, 12, 30, 15, 1),
        dbt_lean.utc_now(),
    ]
    for moment in moments:
        parsed, direct = Timestamp(), Timestamp()
        parsed.FromJsonString(datetime_to_json_string(moment))
        direct.FromDatetime(moment)
        assert (direct.seconds, direct.nanos) == (parsed.seconds, parsed.nanos), moment
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    assert abs(dbt_lean.utc_now() - now) < datetime.timedelta(seconds=5)  # UTC, naive as dbt's
