"""The student's own taxi pipeline, walked the way a student walks it: the chapter 03 starter,
each chapter's step (the teachers' solution) in order, each chapter's check on the student's
file before the step (it must give a hint) and after it (it must pass), then the hand-in folder
(with the documents a student writes, taken from the corpus) through `autograder check`."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.corpus.build import REFERENCE_FILES
from tests.notebooks.harness import kernel_env
from workbook.selfchecks import own_pipeline

AUTOGRADER = str(Path(sys.executable).parent / "autograder")
WALK = """
import json, sys
from pathlib import Path
from workbook.session import setup
from workbook.selfchecks import own_pipeline
from workbook.selfchecks.registry import Hint

wb = setup("09")
own_pipeline.start(wb)
seen = {}
for step in own_pipeline.STEPS:
    try:
        own_pipeline.check(wb, step.chapter)
        before = "passed"
    except Hint as hint:
        before = str(hint)
    own_pipeline.apply_step(wb, step.chapter)
    try:
        own_pipeline.check(wb, step.chapter)
        after = "passed"
    except Hint as hint:
        after = str(hint)
    seen[step.chapter] = [before, after]
own_pipeline.hand_in(wb, Path(sys.argv[1]))
json.dump(seen, sys.stdout)
"""


def test_every_step_undone_and_redone_gives_back_the_solution() -> None:
    text = own_pipeline.starter_text()
    for step in own_pipeline.STEPS:
        ast.parse(text)  # every intermediate file is Python
        for before, after in step.edits:
            text = own_pipeline._replace_once(text, before, after, step)
    assert text == own_pipeline.solution_text()
    assert "SOLUTION" not in own_pipeline.starter_text()  # no solution markers for students


@pytest.mark.slow
def test_the_steps_in_order_end_with_a_submission_that_passes_autograder_check(
    tmp_path, taxi_source
) -> None:
    env = kernel_env(tmp_path, taxi_source, None)
    env["AIRFLOW_STUDENT"] = "ada_lovelace"
    hand_in = tmp_path / "submission" / "ada_lovelace"
    walk = subprocess.run(
        [sys.executable, "-c", WALK, str(hand_in)],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert walk.returncode == 0, walk.stderr[-3000:]
    seen = json.loads(walk.stdout.strip().splitlines()[-1])
    assert list(seen) == [step.chapter for step in own_pipeline.STEPS]
    for chapter, (before, after) in seen.items():
        assert before != "passed", f"chapter {chapter}'s check passed before its step"
        assert after == "passed", f"chapter {chapter}: {after}"
    for name in own_pipeline.HAND_IN_DOCUMENTS:  # the student's writing, not this test's topic
        shutil.copyfile(REFERENCE_FILES / name, hand_in / name)
    check = subprocess.run(
        [AUTOGRADER, "check", str(hand_in), "--isolation", "none"],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert check.returncode == 0, check.stdout[-8000:] + check.stderr[-2000:]
