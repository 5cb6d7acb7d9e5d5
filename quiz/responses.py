"""A student's answers on disk: one JSON file per student, written atomically after every answer.

The file holds answers and timestamps only, never a score: scores are computed by the teacher's
copy of the quiz. Format (schema_version 1)::

    {"format": "week11-quiz-responses", "schema_version": 1, "quiz_id": "week_11_quiz",
     "quiz_fingerprint": "3f2a...", "student": "ada_lovelace",
     "started_at": "...+00:00", "updated_at": "...", "submitted_at": null,
     "answers": {"retry_tries": {"value": "3", "answered_at": "..."}, ...}}

Answer values: an option id (single_choice), a list of option ids (multiple_choice), a list of
item ids in the student's order (ordering), text (short_answer, open_ended).

The answers travel with the assignment: every save also writes the same file into the student's
assignment folder, `taxi_pipeline/quiz_responses/<student>.json`, so handing in the folder
(`nbgrader submit`, the Assignments tab, `course hand-in`) hands in the quiz. The folder is
`$WEEK11_ASSIGNMENT_DIR`, or the nearest `taxi_pipeline/` (holding `taxi_pipeline.ipynb`) beside
the answers' folder or one of its parents, up to the home folder.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from quiz.errors import Problem, QuizError
from quiz.loader import SourceDocument, format_loc, parse_yaml, read_text
from quiz.model import Quiz

FORMAT = "week11-quiz-responses"
SCHEMA_VERSION = 1
RESPONSES_DIRNAME = "quiz_responses"
ASSIGNMENT_ENV = "WEEK11_ASSIGNMENT_DIR"
ASSIGNMENT_FOLDER = "taxi_pipeline"
ASSIGNMENT_MARKER = "taxi_pipeline.ipynb"
STUDENT_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$"
StudentId = Annotated[str, StringConstraints(pattern=STUDENT_PATTERN)]
AnswerValue = str | list[str]
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class SavedAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    value: AnswerValue
    answered_at: AwareDatetime


class Responses(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    format: Literal["week11-quiz-responses"]
    schema_version: Literal[1]
    quiz_id: str
    quiz_fingerprint: str = ""
    student: StudentId
    started_at: AwareDatetime
    updated_at: AwareDatetime
    submitted_at: AwareDatetime | None = None
    answers: dict[str, SavedAnswer] = Field(default_factory=dict)

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None

    def value(self, question_id: str) -> AnswerValue | None:
        saved = self.answers.get(question_id)
        return saved.value if saved else None


def is_valid_student_id(student: str) -> bool:
    return re.fullmatch(STUDENT_PATTERN, student) is not None


def _blank(quiz_id: str, student: str, now: datetime) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "quiz_id": quiz_id,
        "student": student,
        "started_at": now,
        "updated_at": now,
    }


def new_responses(quiz: Quiz, student: str, now: Clock = utc_now) -> Responses:
    if not is_valid_student_id(student):
        raise QuizError.single(
            None,
            f"{student!r} cannot be used as a student id",
            "use letters, digits, '.', '_', '-' or '@' (no spaces), e.g. ada_lovelace",
            field="student",
        )
    data = _blank(quiz.id, student, now())
    return Responses.model_validate({**data, "quiz_fingerprint": quiz.fingerprint()})


def record_answer(
    responses: Responses, question_id: str, value: AnswerValue | None, now: Clock = utc_now
) -> Responses:
    """A copy with this answer set (or cleared when `value` is None/empty)."""
    if responses.is_submitted:
        raise QuizError.single(
            None, "these answers were already submitted and cannot change", field="submitted_at"
        )
    moment = now()
    answers = dict(responses.answers)
    if value in (None, "", []):
        answers.pop(question_id, None)
    else:
        answers[question_id] = SavedAnswer(value=value, answered_at=moment)
    return responses.model_copy(update={"answers": answers, "updated_at": moment})


def mark_submitted(responses: Responses, now: Clock = utc_now) -> Responses:
    moment = now()
    return responses.model_copy(update={"submitted_at": moment, "updated_at": moment})


def responses_path(directory: Path, student: str) -> Path:
    return Path(directory) / f"{student}.json"


def dumps(responses: Responses) -> str:
    return json.dumps(responses.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"


def atomic_write_text(path: Path, text: str) -> None:
    """Write to a temporary file beside `path`, fsync it, then rename over `path`: a crash or a
    Ctrl-C leaves either the old file or the new one, never half of one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as temp:
            temp.write(text)
            temp.flush()
            os.fsync(temp.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def assignment_folder(start: Path) -> Path | None:
    """The student's assignment folder the answers travel in (see the module docstring)."""
    configured = os.environ.get(ASSIGNMENT_ENV)
    if configured:  # only a folder that exists: a mistyped path must not grow new folders
        folder = Path(configured).expanduser()
        return folder if folder.is_dir() else None
    start = Path(start).resolve()
    home = Path.home().resolve()
    for folder in [start, *start.parents]:
        if (folder / ASSIGNMENT_MARKER).is_file():
            return folder  # the answers are kept inside the assignment folder already
        if (folder / ASSIGNMENT_FOLDER / ASSIGNMENT_MARKER).is_file():
            return folder / ASSIGNMENT_FOLDER
        if folder == home:
            break
    return None


def handin_copy_path(path: Path, student: str) -> Path | None:
    """Where the hand-in copy of the answers at `path` goes; None if there is no assignment
    folder, or `path` is that copy already."""
    folder = assignment_folder(Path(path).parent)
    if folder is None:
        return None
    target = responses_path(folder / RESPONSES_DIRNAME, student)
    return None if target.resolve() == Path(path).resolve() else target


def save_responses(path: Path, responses: Responses) -> Path | None:
    """Save the answers at `path`, and the hand-in copy; returns where the copy went."""
    atomic_write_text(path, dumps(responses))
    copy = handin_copy_path(path, responses.student)
    if copy is not None:
        atomic_write_text(copy, dumps(responses))
    return copy


def load_responses(path: Path, quiz: Quiz | None = None) -> Responses:
    """Read and validate a responses file; with `quiz`, also check every answer fits its
    question. Problems name the file, line and field."""
    path = Path(path)
    text = read_text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise QuizError.single(
            path,
            f"not valid JSON: {exc.msg} (column {exc.colno})",
            "restore the file from a backup or the student's copy; answers are saved by "
            "`workbook quiz take` or the notebook, not edited by hand",
            line=exc.lineno,
        ) from None
    document = _with_lines(path, text, data)
    if not isinstance(data, dict):
        raise QuizError.single(path, "is not a responses file (expected a JSON object)", line=1)
    if data.get("format") != FORMAT:
        raise QuizError.single(
            path,
            f'is not a quiz responses file (`format` should be "{FORMAT}")',
            "point the command at the quiz_responses/*.json files",
            line=document.locate(("format",))[0],
            field="format",
        )
    version = data.get("schema_version")
    if isinstance(version, int) and version > SCHEMA_VERSION:
        raise QuizError.single(
            path,
            f"was written by a newer workbook (schema_version {version}, this one reads "
            f"{SCHEMA_VERSION})",
            "update the course repo (git pull) and reinstall (make install)",
            line=document.locate(("schema_version",))[0],
            field="schema_version",
        )
    try:
        responses = Responses.model_validate(data)
    except ValidationError as exc:
        raise QuizError(document.problems(exc, Responses)) from None
    if quiz is not None:
        problems = check_answers(responses, quiz, document)
        if problems:
            raise QuizError(problems)
    return responses


def _with_lines(path: Path, text: str, data: Any) -> SourceDocument:
    """JSON is YAML, so compose it for line numbers; without them messages still name the field."""
    try:
        return parse_yaml(path, text, what="JSON")
    except QuizError:
        return SourceDocument(path, data, None)


def check_answers(responses: Responses, quiz: Quiz, document: SourceDocument) -> list[Problem]:
    """Every answer must belong to a question of `quiz` and have that question's shape."""
    found: list[Problem] = []

    def problem(loc: tuple[Any, ...], message: str, fix: str) -> None:
        line, named = document.locate(loc)
        found.append(Problem(document.path, line, format_loc(named), message, fix))

    if responses.quiz_id != quiz.id:
        problem(
            ("quiz_id",),
            f"answers quiz '{responses.quiz_id}', not '{quiz.id}'",
            "score it with the quiz it was taken with (--quiz)",
        )
        return found
    known = {q.id: q for q in quiz.questions}
    for question_id, saved in responses.answers.items():
        question = known.get(question_id)
        if question is None:
            problem(
                ("answers", question_id),
                f"there is no question '{question_id}' in quiz '{quiz.id}'",
                "questions are: " + ", ".join(known),
            )
            continue
        for loc, message, fix in answer_shape_errors(question, saved.value):
            problem(("answers", question_id, "value", *loc), message, fix)
    return found


def answer_shape_errors(
    question: Any, value: AnswerValue
) -> list[tuple[tuple[Any, ...], str, str]]:
    """(sub-location, message, fix) for an answer that does not fit its question."""
    kind = question.type
    if kind in ("short_answer", "open_ended", "single_choice"):
        if not isinstance(value, str):
            return [
                (
                    (),
                    f"the answer to this {kind} question must be text, not a list",
                    "save a single value",
                )
            ]
        if kind == "single_choice":
            ids = [o.id for o in question.options]
            if value not in ids:
                return [((), f"'{value}' is not an option", "options are: " + ", ".join(ids))]
        return []
    if not isinstance(value, list):
        return [
            ((), f"the answer to this {kind} question must be a list of ids", 'e.g. ["a", "c"]')
        ]
    ids = (
        [o.id for o in question.options]
        if kind == "multiple_choice"
        else [item.id for item in question.items]
    )
    errors = []
    for index, entry in enumerate(value):
        if entry not in ids:
            errors.append(((index,), f"'{entry}' is not one of {', '.join(ids)}", "remove it"))
        elif value.index(entry) != index:
            errors.append(((index,), f"'{entry}' is listed twice", "list each id once"))
    return errors


def open_or_start(path: Path, quiz: Quiz, student: str, now: Clock = utc_now) -> Responses:
    """Resume the answers saved at `path`, or start new ones. A file that cannot be read is
    never overwritten: the error says so, and the student's earlier answers stay on disk."""
    path = Path(path)
    if not path.exists():
        return new_responses(quiz, student, now)
    try:
        responses = load_responses(path, quiz)
    except QuizError as exc:
        raise QuizError(
            [
                *exc.problems,
                Problem(
                    path,
                    None,
                    "",
                    "the saved answers cannot be resumed, and they are left untouched",
                    f"rename {path.name} (e.g. to {path.stem}.broken.json) to start again, and "
                    "tell your teacher",
                ),
            ]
        ) from None
    if responses.student != student:
        raise QuizError.single(
            path,
            f"holds the answers of '{responses.student}', not '{student}'",
            "use your own student id, or another --responses file",
            field="student",
        )
    return responses


def find_responses_files(directory: Path) -> list[Path]:
    """Every *.json below `directory` (an nbgrader `submitted/` tree works), skipping hidden
    folders, checkpoints and our own temporary files. Inside an assignment folder (one holding
    `taxi_pipeline.ipynb`) only its `quiz_responses/` counts: other JSON a hand-in holds is not
    quiz answers."""
    directory = Path(directory)
    found = []
    for path in sorted(directory.rglob("*.json")):
        parts = path.relative_to(directory).parts
        if any(p.startswith(".") or p == ".ipynb_checkpoints" for p in parts):
            continue
        if RESPONSES_DIRNAME not in parts[:-1] and _in_assignment(directory, path):
            continue
        found.append(path)
    return found


def _in_assignment(directory: Path, path: Path) -> bool:
    folder = path.parent
    while folder != directory and directory in folder.parents:
        if (folder / ASSIGNMENT_MARKER).is_file():
            return True
        folder = folder.parent
    return (directory / ASSIGNMENT_MARKER).is_file()
