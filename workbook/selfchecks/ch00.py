"""Self-checks of chapter 00, Start here."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from workbook.selfchecks.registry import exercise, filled, need

if TYPE_CHECKING:
    from workbook.session import Workbook

STUDENT_NAME = re.compile(r"^[a-z][a-z0-9_]{0,49}$")


def check_student_name(name: object, what: str) -> None:
    """A name that can be part of a schema name (`airflow_<name>`), and not the default."""
    filled(name, what)
    need(isinstance(name, str), f'Put your name in quotes, e.g. {what} = "ada".')
    need(
        STUDENT_NAME.match(str(name)),
        f"{name!r} has characters a schema name cannot hold. Use lowercase letters, digits and "
        "underscores, starting with a letter: 'ada_lovelace', not 'Ada Lovelace'.",
    )
    need(
        name != "default", "'default' is what everyone gets who forgets to set a name; pick yours."
    )


@exercise("ch00_student_name", success="that name works as part of a schema name")
def student_name(wb: Workbook, name: object) -> None:
    check_student_name(name, "ex_student_name")
