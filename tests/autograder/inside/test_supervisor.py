"""The supervisor's own pieces that need no sandbox: the capped console capture and the reader
that notices when the grader goes away (fast)."""

from __future__ import annotations

import os

from autograder.inside.protocol import DONE_MARKER, done_line
from autograder.inside.supervisor import Capture, LineReader


def test_the_capture_keeps_the_head_and_the_tail_and_counts_every_byte() -> None:
    capture = Capture()
    for index in range(40):
        capture.add(f"<{index:02d}>".encode() * (4 << 10))  # 16 KB per chunk, 640 KB in all
    kept = capture.as_dict()
    assert kept["bytes"] == 40 * (16 << 10)
    assert len(kept["head"]) == 64 << 10 and kept["head"].startswith("<00>")
    assert len(kept["tail"]) <= 256 << 10 and kept["tail"].endswith("<39>")
    assert "<20>" not in kept["head"] + kept["tail"]  # the middle is dropped


def test_the_reader_gives_lines_and_then_none_when_the_grader_closes() -> None:
    read, write = os.pipe()
    reader = LineReader(read)
    os.write(write, b'{"op": "inspect"}\n{"op": "run"')
    assert reader.readline() == '{"op": "inspect"}'
    os.write(write, b"}\n")
    os.close(write)
    assert reader.readline() == '{"op": "run"}'
    assert reader.readline() is None
    os.close(read)


def test_the_done_line_carries_the_command_number() -> None:
    assert done_line(7) == f"{DONE_MARKER}7\n"
