"""The quiz notebook in a real JupyterLab, driven by headless Chromium (see BROWSER_FACTS.md):
open the notebook, run the cell, answer every question, submit, see the score; reopen a
submitted quiz. Screenshots go to test-artifacts/ (git-ignored)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

from quiz.model import Quiz
from quiz.widget import plain
from tests.quiz.paths import FIXTURES, REPO
from tests.support.browser import find_chromium

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]
NOTEBOOK = REPO / "notebooks" / "11_quiz.ipynb"
ARTIFACTS = REPO / "test-artifacts"
TOKEN = "week11-quiz-test-token"


@dataclass(frozen=True)
class Lab:
    url: str
    root: Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_status(url: str, process: subprocess.Popen, log: Path) -> None:
    request = urllib.request.Request(
        f"{url}/api/status", headers={"Authorization": f"token {TOKEN}"}
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"JupyterLab exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(request, timeout=2):
                return
        except OSError:
            time.sleep(0.25)
    pytest.fail(f"JupyterLab did not answer within 60 s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """JupyterLab on a free port, in its own process group, serving a fresh copy of the quiz
    notebook from a temporary root; stopped by its group at the end."""
    base = tmp_path_factory.mktemp("lab")
    root, config = base / "root", base / "config"
    root.mkdir()
    shutil.copy(NOTEBOOK, root / NOTEBOOK.name)
    settings = config / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    # The "get notified about Jupyter news?" toast would cover the page; only this file stops it.
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    port = free_port()
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(config),
        "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
    }
    env.pop("JUPYTERHUB_USER", None)
    log = base / "jupyterlab.log"
    with log.open("w") as sink:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
                "--ip=127.0.0.1", f"--port={port}", "--port-retries=0",
                f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={root}",
                f"--LabApp.workspaces_dir={base / 'workspaces'}", "--LabApp.news_url=None",
                "--LabApp.expose_app_in_browser=True",
            ],
            env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_status(url, process, log)
        yield Lab(url, root)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """Debian's Chromium (Playwright's own download is blocked on many school networks)."""
    binary = find_chromium()
    if binary is None:
        pytest.fail(
            "No Chromium for the browser tests: run `.venv/bin/python -m workbook.system_setup`"
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(binary), headless=True)
        yield launched
        launched.close()


def open_quiz(chromium: Browser, lab: Lab) -> tuple[Page, Locator]:
    """Open the notebook, wait for a live kernel, run the quiz cell; return the output area."""
    page = chromium.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(f"{lab.url}/lab/tree/{NOTEBOOK.name}?token={TOKEN}")
    expect(page.locator(".jp-NotebookPanel")).to_be_visible(timeout=60_000)
    # The toolbar says idle before a kernel exists; the status bar waits for the real one.
    expect(page.locator("#jp-main-statusbar")).to_contain_text("(ipykernel) | Idle", timeout=60_000)
    page.locator(".jp-CodeCell .jp-InputArea-editor").first.click()
    page.keyboard.press("Control+Enter")
    output = page.locator(".jp-OutputArea-output")
    expect(output.get_by_role("button", name="Start")).to_be_visible(timeout=60_000)
    return page, output


def start(output: Locator, student: str) -> Locator:
    output.get_by_label("Student id").fill(student)
    output.get_by_role("button", name="Start").click()
    questions = output.locator(".quiz-question")
    expect(questions).to_have_count(7)
    return questions


def wait_until(condition: Callable[[], bool], message: str, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(message)
        time.sleep(0.1)


def answer_everything_right(quiz: Quiz, questions: Locator) -> None:
    for index, question in enumerate(quiz.questions):
        box = questions.nth(index)
        if question.type == "single_choice":
            right = next(o for o in question.options if o.correct)
            box.get_by_role("radio", name=plain(right.text), exact=True).check()
        elif question.type == "multiple_choice":
            for option in (o for o in question.options if o.correct):
                box.get_by_role("checkbox", name=plain(option.text), exact=True).check()
        elif question.type == "ordering":
            texts = {item.id: plain(item.text) for item in question.items}
            selects = box.locator("select")
            for step, item_id in enumerate(question.answer):
                selects.nth(step).select_option(label=texts[item_id])
        elif question.type == "short_answer":
            box.locator("input[type=text]").fill("3")
        else:
            box.locator("textarea").fill(question.rubric.examples[0].answer)


def test_take_the_quiz_in_jupyterlab(chromium: Browser, lab: Lab, quiz: Quiz) -> None:
    page, output = open_quiz(chromium, lab)
    questions = start(output, "ada_lovelace")
    answer_everything_right(quiz, questions)
    # The last answer is still being typed (its box has the focus): it is saved all the same.
    last = quiz.questions[-1]
    saved_file = lab.root / "quiz_responses" / "ada_lovelace.json"
    wait_until(lambda: last.id in saved_file.read_text(), "the typed open answer was not saved")
    output.get_by_role("button", name="Submit").click()
    score = output.locator(".quiz-score")
    expect(score).to_contain_text("Score: 20/20", timeout=30_000)
    expect(questions.nth(0).get_by_role("radio").first).to_be_disabled()
    expect(questions.nth(5)).to_contain_text("Correct: 3/3")
    saved = json.loads(saved_file.read_text())
    assert saved["submitted_at"] is not None and len(saved["answers"]) == 7
    assert saved["answers"]["debugging_order"]["value"] == quiz.question("debugging_order").answer
    ARTIFACTS.mkdir(exist_ok=True)
    score.scroll_into_view_if_needed()
    page.screenshot(path=ARTIFACTS / "quiz_widget_score.png")
    # JupyterLab's body does not scroll: a tall viewport, scrolled to the top, shows it all.
    page.set_viewport_size({"width": 1280, "height": 6000})
    page.locator(".jp-NotebookPanel .jp-WindowedPanel-outer").evaluate("el => el.scrollTo(0, 0)")
    page.locator(".jp-NotebookPanel").screenshot(path=ARTIFACTS / "quiz_widget_full.png")
    page.close()


def test_a_submitted_quiz_reopens_with_its_score(chromium: Browser, lab: Lab) -> None:
    saved = lab.root / "quiz_responses" / "partial.json"
    saved.parent.mkdir(exist_ok=True)
    shutil.copy(FIXTURES / "responses" / "partial.json", saved)
    page, output = open_quiz(chromium, lab)
    questions = start(output, "partial")
    expect(output.locator(".quiz-score")).to_contain_text("Score: 8.4/20", timeout=30_000)
    expect(questions.nth(0).get_by_role("radio").first).to_be_disabled()
    expect(output.get_by_role("button", name="Submitted")).to_be_disabled()
    expect(questions.nth(4)).to_contain_text("Expected: 3.")
    page.close()
