"""The self-check registry: a check's outcome becomes ✅ or ❌ with a hint, never a traceback."""

from __future__ import annotations

import pytest

from workbook.selfchecks import registry
from workbook.selfchecks.registry import Hint, Result, check, exercise, filled, need


@pytest.fixture
def scratch_exercises(monkeypatch: pytest.MonkeyPatch) -> dict:
    """An empty registry for this test; the real one comes back afterwards."""
    monkeypatch.setattr(registry, "EXERCISES", {})
    monkeypatch.setattr(registry, "RESULTS", {})
    return registry.EXERCISES


def test_a_passing_check_says_its_success_message(scratch_exercises: dict) -> None:
    @exercise("unit_ok", success="well done")
    def ok(wb: object, answer: object) -> None:
        need(answer == 42, "not 42")

    assert str(check("unit_ok", None, 42)) == "✅ unit_ok: well done"
    assert registry.RESULTS == {"unit_ok": True}


def test_a_hint_is_what_the_student_reads(scratch_exercises: dict) -> None:
    @exercise("unit_hint", success="")
    def hinted(wb: object, answer: object) -> None:
        need(answer == 42, "Try the answer to everything.")

    result = check("unit_hint", None, 41)
    assert result == Result("unit_hint", False, "Try the answer to everything.")
    assert registry.RESULTS == {"unit_hint": False}


def test_a_crashing_check_is_a_message_not_a_traceback(scratch_exercises: dict) -> None:
    @exercise("unit_crash", success="")
    def crashes(wb: object, answer: object) -> None:
        raise KeyError("month")

    message = check("unit_crash", None, 1).message
    assert message.startswith("checking your answer raised KeyError: 'month'.")
    assert "run this check" in message


def test_an_unknown_exercise_is_named(scratch_exercises: dict) -> None:
    assert check("nope", None).message == "there is no exercise called 'nope'"


def test_two_checks_cannot_share_an_id(scratch_exercises: dict) -> None:
    @exercise("unit_twice", success="")
    def first(wb: object) -> None: ...

    with pytest.raises(ValueError, match="two self-checks are registered as 'unit_twice'"):

        @exercise("unit_twice", success="")
        def second(wb: object) -> None: ...


def test_the_result_is_html_escaped() -> None:
    html = Result("ex", False, "<script>x</script>")._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html and "❌" in html


@pytest.mark.parametrize(
    "placeholder",
    [..., None, "", "  ...  ", [], [...], {}, (), {...}],
    ids=repr,
)
def test_a_placeholder_is_not_an_answer(placeholder: object) -> None:
    with pytest.raises(Hint, match="Replace the `...` in ex_x"):
        filled(placeholder, "ex_x")


@pytest.mark.parametrize("answer", [0, False, "0 6 * * *", ["a"], {"a": 1}], ids=repr)
def test_a_real_answer_is_filled(answer: object) -> None:
    filled(answer, "ex_x")


def test_a_dictionary_exercise_must_stay_a_dictionary() -> None:
    with pytest.raises(Hint, match="Keep ex_rules a dictionary"):
        registry.answer_dict(["all_done"], "ex_rules")
    with pytest.raises(Hint, match="Replace the `...` in ex_rules"):
        registry.answer_dict({"a": "all_done", "b": ...}, "ex_rules")


def test_free_text_asks_for_length_then_for_each_topic() -> None:
    topics = [(("when",), "Say when."), (("order", "depend"), "Say in which order.")]
    with pytest.raises(Hint, match="is 5 characters; explain a little more"):
        registry.free_text("short", "ex_t", 20, topics)
    with pytest.raises(Hint, match="Say in which order."):
        registry.free_text("It decides when jobs start, at six.", "ex_t", 20, topics)
    registry.free_text("It decides when jobs start and what depends on what.", "ex_t", 20, topics)


def test_mentions_matches_word_beginnings() -> None:
    assert registry.mentions("The task is retried twice", "retr")
    assert not registry.mentions("a metric", "retr")


def test_the_first_failing_assertion_is_quoted() -> None:
    output = "____ test_edges ____\nE   assert 1 == 2\nE   + where\n"
    assert registry.first_failure_line(output, "test_edges") == "assert 1 == 2"
    assert "see wb.pytest" in registry.first_failure_line("", "test_edges")
