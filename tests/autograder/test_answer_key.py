"""The answer key: per-month fingerprints add up to any combination of months."""

from __future__ import annotations

from autograder.answer_key import AnswerKey, MonthKey


def test_answer_key_fingerprints_add_up() -> None:
    key = AnswerKey(
        version="1",
        inputs_hash="x",
        months={
            "2024-01": MonthKey(tables={"raw_trips": (2, "ffffffffffffffff")}, stray_rows=0),
            "2024-02": MonthKey(tables={"raw_trips": (3, "0000000000000002")}, stray_rows=1),
        },
    )
    assert key.expected(["2024-01", "2024-02"], "raw_trips") == (5, "0000000000000001")
    assert key.expected(["2024-02"], "raw_trips") == (3, "0000000000000002")
