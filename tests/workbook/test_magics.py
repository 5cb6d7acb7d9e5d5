"""The notebook's NameError hook: a check run before its exercise says so in one line."""

from __future__ import annotations

from workbook.magics import _missing_exercise, register_magics


class Shell:
    def __init__(self) -> None:
        self.tracebacks: list[object] = []

    def showtraceback(self, exc_tuple: object, tb_offset: object = None) -> None:
        self.tracebacks.append(exc_tuple)


def test_an_undefined_exercise_variable_is_a_hint(capsys) -> None:
    shell = Shell()
    error = NameError("name 'ex_weekday_cron' is not defined", name="ex_weekday_cron")
    _missing_exercise(shell, NameError, error, None)
    assert capsys.readouterr().out == (
        "❌ ex_weekday_cron is not defined yet: run the exercise cell above this check first.\n"
    )
    assert shell.tracebacks == []


def test_any_other_name_error_keeps_its_traceback(capsys) -> None:
    shell = Shell()
    _missing_exercise(shell, NameError, NameError("x", name="pandas"), None)
    assert shell.tracebacks and capsys.readouterr().out == ""


def test_outside_ipython_nothing_is_registered() -> None:
    register_magics(object())  # type: ignore[arg-type] - no IPython shell: a no-op
