"""dbt's per-call chores done the cheap way (inside/dbt_lean.py) give dbt's own results: the same
behaviour-flag source, the same event messages byte for byte, the same console output. The
differential test replays every event a real `dbt run` / `dbt test` / failing run built."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from autograder.inside import dbt_lean
from tests.autograder.inside.test_dbt_reuse import (  # noqa: F401 - project: a fixture
    console,
    project,
    run_driver,
)
from tests.corpus.build import REPO


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
# and how many took the fast path (no ParseDict call). Finally the same dbt calls with dbt_lean.
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
        "dbt_lean.install(); first = (base_types.BaseEvent.__init__,"
        " event_manager.msg_from_base_event)\n"
        "dbt_lean.install()\n"
        "assert first == (base_types.BaseEvent.__init__, event_manager.msg_from_base_event)\n"
        "assert first[0].lean and first[1].lean\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-1500:]


def test_secrets_are_the_same_values_dbt_finds(monkeypatch) -> None:
    from dbt_common.exceptions import env_secrets

    monkeypatch.setenv("DBT_ENV_SECRET_LEAN_TOKEN", "hunter2")
    monkeypatch.setenv("DBT_ENV_SECRET_LEAN_BLANK", "   ")  # dbt ignores blank secrets
    monkeypatch.setenv("DBT_ENV_SECRET_LEAN_ACCENT", "clé-é")
    monkeypatch.setenv("LEAN_NOT_A_SECRET", "visible")
    found = dbt_lean.secrets_reader(env_secrets)()
    assert found == env_secrets()
    assert {"hunter2", "clé-é"} <= set(found) and "visible" not in found
