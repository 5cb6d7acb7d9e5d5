"""Inside the sandbox: dbt's per-call chores done without their detours, same results.

A graded submission calls dbt ~40 times in the harness. Profiled there (py-spy, a graded
reference submission), a sixth of the harness's CPU went to four chores that are not the
student's work and whose results do not depend on how they are computed (shares below):

- **Behaviour flags** (~6%): every dbt call builds a new adapter, and each of its behaviour
  flags records the module that declared it by calling `inspect.stack()`, which reads the source
  lines of every frame on the stack: ~12 ms per flag at the harness's ~120 frames. Walking the
  frames with the same `inspect.getmodule()` test, and stopping at the first match, gives the
  same module.
- **Event messages** (~4%): each event dbt fires (every SQL statement, every node's start and
  end) is wrapped for the loggers by building a dict and parsing it back with protobuf's
  `ParseDict` (~70 us). Setting the wrapper's fields directly builds the same message.
- **Events** (~4%): each event is built by `ParseDict` of its keyword arguments (~50 us);
  protobuf's constructor builds the same message from them (~3 us) whenever the arguments are
  plain JSON values of the fields' own types, which `_constructor_builds_the_same` checks.
  Where they are not (a string or a bool for a number, NaN, a datetime), dbt's own path
  runs, with its error handling.
- **Secrets** (~2%): every log line is scrubbed of the values of `DBT_ENV_SECRET*` variables,
  found by decoding the whole environment (~100 variables in a task) for each line; only the
  matching ones need decoding.

Profiled again once those were gone (CPU time of a `dbt run` + `dbt test` pair in-process on the
course's project, ~345 ms; shares of it), two more of the same kind:

- **Log file** (~3%): before every line of `logs/dbt.log`, the rotating handler asks the file
  system twice whether the file is a regular one; once per opened file is enough.
- **Event times** (~3%): each event's time is formatted as text and parsed back (`strptime`)
  into the message; set from the same clock reading directly, it is the same timestamp.

The chores whose results can be remembered from one call to the next are in `dbt_memo`.

Each fast path falls back to dbt's own code on anything unexpected, so an error surfaces exactly
as dbt raises it. Installed by the harness next to `dbt_reuse` and `dbt_memo`, never in the
workbook.
"""

from __future__ import annotations

import datetime
import inspect
import math
import os
import sys
from collections.abc import Callable

# ------------------------------------------------------------------- behaviour flags


def flag_source() -> str:
    """`BehaviorFlagRendered._default_source`: the first module on the stack that is not
    dbt_common.behavior_flags, found as dbt finds it, without reading any source line."""
    frame = sys._getframe(1)  # the caller: dbt's own frame, which the original's stack starts at
    while frame is not None:
        module = inspect.getmodule(frame)
        if module and module.__name__ != "dbt_common.behavior_flags":
            return module.__name__
        frame = frame.f_back
    return "Unknown"


# ------------------------------------------------------------------- event messages


def message_builder(original: Callable) -> Callable:
    """`msg_from_base_event` that sets the wrapper's fields instead of parsing a dict."""
    from dbt_common.events import base_types, helpers

    def msg_from_base_event(event, level=None):
        try:
            msg = getattr(event.PROTO_TYPES_MODULE, f"{type(event).__name__}Msg")()
            info = msg.info
            info.level = level.value if level else event.level_tag().value
            info.msg = _text(event.message())
            info.invocation_id = _text(base_types.get_invocation_id())
            extra = base_types.get_global_metadata_vars()
            if not all(type(k) is str and type(v) is str for k, v in extra.items()):
                raise TypeError("metadata that is not text")
            info.extra.update(extra)
            if base_types.get_json_string_utcnow is helpers.get_json_string_utcnow:
                info.ts.FromDatetime(utc_now())  # what the text round trip would give
            else:  # someone else's clock (a test's, a recording's): read it their way
                info.ts.FromJsonString(base_types.get_json_string_utcnow())
            pid = base_types.get_pid()
            if type(pid) is not int:
                raise TypeError("a pid that is not an int")
            info.pid = pid
            info.thread = _text(base_types.get_thread_name())
            info.code = _text(event.code())
            info.name = type(event).__name__
            msg.data.CopyFrom(event.pb_msg)
        except Exception:  # noqa: BLE001 - dbt's own way, with its own errors
            return original(event, level=level)
        return msg

    msg_from_base_event.lean = True
    return msg_from_base_event


def utc_now() -> datetime.datetime:
    """dbt's clock for events (`helpers.get_json_string_utcnow`), before it becomes text."""
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def _text(value: object) -> str:
    if type(value) is not str:
        raise TypeError("not text")  # ParseDict rejects what protobuf might coerce
    return value


# ------------------------------------------------------------------- events

_SCALARS = (str, int, float)
_JSON_TREE = "google.protobuf.Struct", "google.protobuf.ListValue"
_VALUE = "google.protobuf.Value"
_BOOL, _BYTES, _STRING, _FLOAT32 = 8, 12, 9, 2
_FLOAT32_MAX = 3.4028234663852886e38


def _repeated(field) -> bool:
    repeated = getattr(field, "is_repeated", None)  # protobuf 6; `label` is deprecated there
    return repeated if isinstance(repeated, bool) else field.label == 3


def _json_tree(value: object) -> bool:
    """A value `Struct.update` and ParseDict both read the same way (plain JSON)."""
    if value is None or type(value) in (bool, *_SCALARS):
        return True
    if type(value) is dict:
        return all(type(k) is str and _json_tree(v) for k, v in value.items())
    if type(value) is list:
        return all(_json_tree(v) for v in value)
    return False


def _single(field, value: object) -> bool:
    message = field.message_type
    if message is None:
        if field.type == _BOOL:
            return type(value) is bool
        if field.type == _STRING:
            return isinstance(value, str)  # a str enum too: both store the text it holds
        if type(value) is float:  # ParseDict refuses NaN, infinities, a float32 out of range
            limit = _FLOAT32_MAX if field.type == _FLOAT32 else math.inf
            return math.isfinite(value) and abs(value) <= limit
        return field.type != _BYTES and type(value) in _SCALARS
    if message.full_name in _JSON_TREE:
        return type(value) is (dict if message.full_name.endswith("Struct") else list) and (
            _json_tree(value)
        )
    if message.full_name.startswith("google.protobuf."):
        return False  # Timestamp, Value, wrappers...: the two read these differently
    return type(value) is dict and _constructor_builds_the_same(value, message)


def _constructor_builds_the_same(values: dict, descriptor) -> bool:
    """True when `Message(**values)` and `ParseDict(values, Message())` build the same message:
    every name is a field's own name and every value a plain JSON value of the field's type
    (protobuf's constructor would take a bool for a number or a datetime for a timestamp,
    which ParseDict refuses)."""
    fields = descriptor.fields_by_name
    for name, value in values.items():
        field = fields.get(name) if type(name) is str else None
        if field is None:
            return False
        if value is None:  # "unset" for both, but null for ParseDict's Value (none in dbt)
            if field.message_type is not None and field.message_type.full_name == _VALUE:
                return False
            continue
        message = field.message_type
        if message is not None and message.GetOptions().map_entry:
            key, item = message.fields_by_name["key"], message.fields_by_name["value"]
            if key.type != _STRING or type(value) is not dict:
                return False
            if not all(type(k) is str and _single(item, v) for k, v in value.items()):
                return False
        elif _repeated(field):
            if type(value) is not list or not all(_single(field, v) for v in value):
                return False
        elif not _single(field, value):
            return False
    return True


def event_builder(original: Callable) -> Callable:
    """`BaseEvent.__init__` building the event's message with protobuf's constructor when that
    builds what ParseDict would; else dbt's own `__init__`."""

    def __init__(self, *args, **kwargs) -> None:
        if not args:
            msg_cls = getattr(self.PROTO_TYPES_MODULE, type(self).__name__)
            values = dict(kwargs)
            for key in ("base_msg", "msg"):  # what dbt's __init__ converts first
                if key in values:
                    values[key] = str(values[key])
            if _constructor_builds_the_same(values, msg_cls.DESCRIPTOR):
                try:
                    self.pb_msg = msg_cls(**values)
                    return
                except Exception:  # noqa: BLE001,S110 - dbt's own path reports it
                    pass
        original(self, *args, **kwargs)

    __init__.lean = True
    return __init__


# ------------------------------------------------------------------- secrets in log lines

SECRET_PREFIX = "DBT_ENV_SECRET"  # dbt_common.constants.SECRET_ENV_PREFIX, checked on install


def secrets_reader(original: Callable) -> Callable:
    """`env_secrets` (the values of `DBT_ENV_SECRET*` variables), decoding only those."""

    def env_secrets() -> list[str]:
        data, decode = getattr(os.environ, "_data", None), getattr(os.environ, "decodevalue", None)
        if type(data) is not dict or decode is None:
            return original()
        prefix = os.environ.encodekey(SECRET_PREFIX)
        found = (decode(raw) for key, raw in list(data.items()) if key.startswith(prefix))
        return [value for value in found if value.strip()]

    env_secrets.lean = True
    return env_secrets


# ------------------------------------------------------------------- log file


def lean_rotating_handler(base: type) -> type:
    """The log file's handler, asking whether its file is a regular one once per opened file
    (`RotatingFileHandler` asks the file system twice before every line; it never rolls anything
    else over). Only a file replaced by something else while dbt writes to it could tell."""

    class RotatingFileHandler(base):
        lean = True
        _regular = None  # the stream whose file was found to be a regular one

        def shouldRollover(self, record) -> bool:  # noqa: N802 - logging's name
            if self.stream is None or self.stream is not self._regular:
                name = self.baseFilename
                if os.path.exists(name) and not os.path.isfile(name):
                    return False
                if self.stream is None:  # delay was set
                    self.stream = self._open()
                self._regular = self.stream
            if self.maxBytes > 0:
                line = f"{self.format(record)}\n"
                self.stream.seek(0, 2)
                return self.stream.tell() + len(line) >= self.maxBytes
            return False

    return RotatingFileHandler


# ------------------------------------------------------------------- installing


def install() -> None:
    """Make every later dbt call in this process take the fast paths. Idempotent."""
    import logging.handlers

    from dbt_common import behavior_flags
    from dbt_common.constants import SECRET_ENV_PREFIX
    from dbt_common.events import base_types, event_manager, functions
    from dbt_common.events import logger as event_logger
    from dbt_common.exceptions import base as exceptions_base

    behavior_flags.BehaviorFlagRendered._default_source = staticmethod(flag_source)
    if not getattr(event_manager.msg_from_base_event, "lean", False):
        event_manager.msg_from_base_event = message_builder(event_manager.msg_from_base_event)
    if not getattr(base_types.BaseEvent.__init__, "lean", False):
        base_types.BaseEvent.__init__ = event_builder(base_types.BaseEvent.__init__)
    if SECRET_ENV_PREFIX == SECRET_PREFIX:
        # Log lines, and every dbt error made (macro dispatch makes and catches one per lookup
        # of a package a project does not have), read the secrets through these two names.
        for module in (functions, exceptions_base):
            if not getattr(module.env_secrets, "lean", False):
                module.env_secrets = secrets_reader(module.env_secrets)
    if event_logger.RotatingFileHandler is logging.handlers.RotatingFileHandler:
        event_logger.RotatingFileHandler = lean_rotating_handler(event_logger.RotatingFileHandler)
