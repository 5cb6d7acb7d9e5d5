"""HTML pages from Jinja templates (`templates/*.html.j2`), with every value escaped.

Reporters prepare plain values; the templates only lay them out. Autoescaping is on and
undefined names are errors, so a student's text can never become markup and a typo in a template
fails the test suite instead of printing nothing.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

TEMPLATES = Path(__file__).resolve().parent / "templates"


def number(value: float) -> str:
    """Points as people write them: 4, 2.5, 0.33 (Python's `:g`)."""
    return f"{value:g}"


@cache
def _environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["number"] = number
    return environment


def render(template: str, **values: Any) -> str:
    return _environment().get_template(template).render(**values)
