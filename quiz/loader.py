"""Read YAML/JSON files people write and turn validation errors into file:line messages.

The text is composed into a node tree once (`yaml.compose` keeps each node's line) and then
constructed into Python data. A pydantic error location such as
`("questions", 2, "single_choice", "options", 1, "feedback")` is walked down that tree to the
line of `feedback:`; the discriminator tag (`single_choice`) is skipped because the YAML has no
such key. Cross-field rules add a `sub_loc` (see `model.rule`) to point deeper than the field.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from quiz.errors import Problem, QuizError
from quiz.model import TOPICS, Quiz
from workbook.paths import REPO_ROOT

DEFAULT_QUIZ = REPO_ROOT / "assets" / "week_11_quiz.yaml"
QUESTION_TYPES = ("single_choice", "multiple_choice", "ordering", "short_answer", "open_ended")
ID_PATTERN = "^[a-z][a-z0-9_]{0,59}$"

FIX_FOR_MISSING = {
    "feedback": "add `feedback:` saying why this option is right, or why it is wrong",
    "explanation": "add `explanation:`, a few sentences every student sees after submitting",
    "answer": "add `answer:` listing the item ids in the correct order",
    "options": "add `options:` with the choices (each with id, text, feedback)",
    "items": "add `items:` with the steps to order (each with id, text, feedback)",
    "points": "add `points:` (a positive number such as 2)",
    "rubric": "add `rubric:` with `ideas:` (id, description, points, phrasings) and `examples:`",
    "examples": "add `examples:` with at least one answer and the points a teacher would give it",
    "phrasings": "add `phrasings:`, a list of ways students say this idea",
    "topic": "add `topic:` (one of " + ", ".join(TOPICS) + ")",
    "type": "add `type:` (one of " + ", ".join(QUESTION_TYPES) + ")",
    "id": "add `id:` (lowercase letters, digits and underscores, e.g. retry_tries)",
    "schema_version": "add `schema_version: 1` at the top of the file",
    "total_points": "add `total_points:` with the sum of the questions' points",
}


@dataclass(frozen=True)
class SourceDocument:
    """A parsed file: its data plus the node tree that knows where each value was written."""

    path: Path
    data: Any
    root: Node | None

    def locate(self, loc: tuple[Any, ...]) -> tuple[int | None, list[Any]]:
        """The 1-based line of the deepest part of `loc` present in the file, and the parts of
        `loc` that name real keys/indices (discriminator tags dropped)."""
        node = self.root
        if node is None:
            return None, [p for p in loc if p != "[key]"]
        line = node.start_mark.line + 1
        named: list[Any] = []
        for position, part in enumerate(loc):
            if part == "[key]":
                continue
            if isinstance(node, MappingNode):
                hit = _mapping_entry(node, part)
                if hit is not None:
                    line, node = hit[0].start_mark.line + 1, hit[1]
                    named.append(part)
                    continue
                if _is_type_tag(node, part):
                    continue
            elif (
                isinstance(node, SequenceNode)
                and isinstance(part, int)
                and 0 <= part < len(node.value)
            ):
                node = node.value[part]
                line = node.start_mark.line + 1
                named.append(part)
                continue
            named.extend(p for p in loc[position:] if p != "[key]")
            break
        return line, named

    def problems(
        self,
        error: ValidationError,
        model: type[BaseModel],
        context: Callable[[list[Any]], str] = lambda _: "",
    ) -> list[Problem]:
        found = []
        for detail in error.errors(include_url=False):
            loc = tuple(detail["loc"]) + tuple((detail.get("ctx") or {}).get("sub_loc", ()))
            line, named = self.locate(loc)
            message, fix = explain(detail, model, loc)
            found.append(Problem(self.path, line, format_loc(named), context(named) + message, fix))
        return found


def format_loc(parts: list[Any]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _mapping_entry(node: MappingNode, key: Any) -> tuple[Node, Node] | None:
    for key_node, value_node in node.value:
        if isinstance(key_node, ScalarNode) and key_node.value == str(key):
            return key_node, value_node
    return None


def _is_type_tag(node: MappingNode, part: Any) -> bool:
    hit = _mapping_entry(node, "type")
    return hit is not None and isinstance(hit[1], ScalarNode) and hit[1].value == part


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML keeps the last of two equal keys silently; a repeated `points:` must be an error."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        first_line: dict[Any, int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.value == "<<":
                continue
            if key_node.value in first_line:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"key `{key_node.value}` appears twice in this mapping "
                    f"(first on line {first_line[key_node.value]})",
                    key_node.start_mark,
                )
            first_line[key_node.value] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise QuizError.single(path, "file not found", "check the path") from None
    except IsADirectoryError:
        raise QuizError.single(path, "is a directory, not a file", "pass a file") from None
    except UnicodeDecodeError as exc:
        raise QuizError.single(
            path, f"is not UTF-8 text (byte {exc.start})", "save the file as UTF-8"
        ) from None
    except OSError as exc:
        raise QuizError.single(
            path, f"cannot be read: {exc.strerror}", "check permissions"
        ) from None


def parse_yaml(path: Path, text: str, what: str = "YAML") -> SourceDocument:
    """Parse YAML (or JSON, which is YAML) keeping node lines; syntax errors become Problems."""
    loader = _UniqueKeyLoader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        raise QuizError([_syntax_problem(path, exc, what)]) from None
    except yaml.YAMLError as exc:
        raise QuizError.single(path, f"not valid {what}: {exc}", "fix the syntax") from None
    finally:
        loader.dispose()
    return SourceDocument(path, data, root)


def _syntax_problem(path: Path, exc: yaml.MarkedYAMLError, what: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else None
    problem = exc.problem or "syntax error"
    if "appears twice" in problem:
        return Problem(path, line, "", problem, "delete one of them, or merge what they say")
    context = f" ({exc.context})" if exc.context else ""
    if "'\\t'" in problem:
        fix = "indent with spaces, not tabs"
    else:
        fix = (
            "check the indentation around this line; quote text that contains ': ' or ' #', "
            "or starts with one of { } [ ] & * ! | > ' \" % @ `"
        )
    return Problem(path, line, "", f"not valid {what}: {problem}{context}", fix)


def load_quiz(path: Path) -> Quiz:
    """Read and validate a quiz file; every problem is reported at once as a QuizError."""
    path = Path(path)
    document = parse_yaml(path, read_text(path))
    if not isinstance(document.data, dict):
        raise QuizError.single(
            path,
            "is empty or not a mapping: a quiz starts with `schema_version: 1`, `id:`, `title:`, "
            "`questions:` and `total_points:`",
            "see docs/quiz.md for a minimal example",
            line=1,
        )
    try:
        return Quiz.model_validate(document.data)
    except ValidationError as exc:
        raise QuizError(document.problems(exc, Quiz, _question_context(document.data))) from None


def _question_context(data: dict[str, Any]) -> Callable[[list[Any]], str]:
    def describe(named: list[Any]) -> str:
        questions = data.get("questions")
        if len(named) >= 2 and named[0] == "questions" and isinstance(questions, list):
            index = named[1]
            if isinstance(index, int) and index < len(questions):
                entry = questions[index]
                if isinstance(entry, dict) and isinstance(entry.get("id"), str):
                    return f"question '{entry['id']}': "
                return f"question {index + 1}: "
        return ""

    return describe


# ---- turning one pydantic error into words -------------------------------------------------


def _describe_value(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{value!r}"


def explain(
    detail: dict[str, Any], model: type[BaseModel], loc: tuple[Any, ...]
) -> tuple[str, str]:
    """(message, fix) for one pydantic error."""
    kind, ctx, value = detail["type"], detail.get("ctx") or {}, detail.get("input")
    name = next((p for p in reversed(loc) if isinstance(p, str) and p != "[key]"), "")
    if kind == "quiz_rule":
        return ctx["reason"], ctx["fix"]
    if kind == "missing":
        return f"`{name}` is missing", FIX_FOR_MISSING.get(name, f"add `{name}:`")
    if kind == "extra_forbidden":
        allowed = fields_at(model, loc[:-1]) or []
        close = difflib.get_close_matches(name, allowed, n=1)
        hint = f"did you mean `{close[0]}`? " if close else "remove it. "
        return f"unknown key `{name}`", hint + "Allowed here: " + ", ".join(allowed)
    if kind == "union_tag_invalid":
        return (
            f"unknown question type '{ctx.get('tag')}'",
            "use one of: " + ", ".join(QUESTION_TYPES),
        )
    if kind == "union_tag_not_found":
        return "the question has no `type`", FIX_FOR_MISSING["type"]
    if kind == "string_type":
        if value is None:
            return f"`{name}` is empty", f"write the text after `{name}:`"
        hint = "put the text in quotes"
        if isinstance(value, bool):
            hint = "YAML reads yes/no/on/off/true/false as booleans: put the text in quotes"
        return f"expected text, found {_describe_value(value)}", hint
    if kind == "string_pattern_mismatch":
        if ctx.get("pattern") == ID_PATTERN:
            return (
                f"{value!r} is not a valid id",
                "ids use lowercase letters, digits and underscores and start with a letter, "
                "e.g. retry_tries",
            )
        if ctx.get("pattern") == r"\S":
            return f"`{name}` is empty", f"write the text after `{name}:`"
        if name == "student":
            return (
                f"{value!r} is not a valid student id",
                "use letters, digits, '.', '_', '-' or '@' and no spaces, e.g. ada_lovelace",
            )
        return f"{value!r} does not have the expected form", f"match {ctx.get('pattern')}"
    if kind == "literal_error":
        return f"{_describe_value(value)} is not allowed here", f"use {ctx.get('expected')}"
    if kind in ("too_short", "too_long"):
        return (
            f"has {ctx.get('actual_length')} entries",
            f"give it at {'least' if kind == 'too_short' else 'most'} "
            f"{ctx.get('min_length', ctx.get('max_length'))}",
        )
    if kind in ("list_type", "tuple_type"):
        return f"expected a list, found {_describe_value(value)}", "write one entry per `- ` line"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return (
            f"expected a mapping (`key: value` lines), found {_describe_value(value)}",
            "indent the keys under this one",
        )
    if kind in ("float_type", "float_parsing", "int_type", "int_parsing", "int_from_float"):
        return f"expected a number, found {_describe_value(value)}", "write a number such as 2"
    if kind in ("bool_type", "bool_parsing"):
        return f"expected true or false, found {_describe_value(value)}", "write true or false"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        limit = detail["msg"].replace("Input should be", "must be")
        return f"{_describe_value(value)} is out of range: `{name}` {limit}", "change it"
    if kind.startswith(("datetime", "timezone")):
        return (
            f"{_describe_value(value)} is not a timestamp with a time zone",
            "write e.g. 2025-03-07T10:15:00+00:00",
        )
    return detail["msg"], ""


def fields_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str] | None:
    """The keys allowed at `loc` (used to suggest a correction for an unknown key)."""
    current: Any = model
    for part in loc:
        current = _step(current, part)
        if current is None:
            return None
    current = _unwrap(current, None)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return None


def _unwrap(tp: Any, part: Any) -> Any:
    """Strip Annotated/Optional; pick a union member by discriminator tag when `part` is one."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
            continue
        if origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(tp) if a is not type(None)]
            tagged = [m for m in members if _tag_of(m) == part]
            if tagged:
                return tagged[0]
            if len(members) == 1:
                tp = members[0]
                continue
        return tp


def _tag_of(tp: Any) -> Any:
    if isinstance(tp, type) and issubclass(tp, BaseModel) and "type" in tp.model_fields:
        args = typing.get_args(tp.model_fields["type"].annotation)
        return args[0] if args else None
    return None


def _step(tp: Any, part: Any) -> Any:
    unwrapped = _unwrap(tp, part)
    if _tag_of(unwrapped) == part and unwrapped is not _unwrap(tp, None):
        return unwrapped  # the discriminator tag in a pydantic location
    tp = unwrapped
    origin = typing.get_origin(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        field = tp.model_fields.get(part) if isinstance(part, str) else None
        return field.annotation if field else None
    if origin in (list, tuple) and isinstance(part, int):
        return typing.get_args(tp)[0]
    if origin is dict and isinstance(part, str):
        return typing.get_args(tp)[1]
    return None
