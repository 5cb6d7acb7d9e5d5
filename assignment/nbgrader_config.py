"""nbgrader configuration of the Week 11 course: course id `week11`, assignment `taxi_pipeline`.

Everything lives under this folder, the exchange included, so the whole loop (release, fetch,
submit, collect, autograde, feedback, export) works on one machine without JupyterHub. The
teacher commands (`course release|collect|grade|feedback|export`, or `make release` ...) read this
file; plain `nbgrader ...` commands run from this folder read it too.

Runtime state, all git-ignored: exchange/, release/, submitted/, autograded/, feedback/,
grading/, gradebook.db, grades.csv. Also git-ignored: source/taxi_pipeline/dags/taxi_pipeline.py,
the students' starting DAG, which this file writes (below) from the reference DAG.
"""

import sys
from pathlib import Path

c = get_config()  # noqa: F821 - provided by traitlets when it loads this file

ROOT = Path(__file__).resolve().parent
ASSIGNMENT = "taxi_pipeline"
SOURCE = ROOT / "source" / ASSIGNMENT

# The DAG students start from is generated from the reference, `dags/taxi_pipeline.py` (its
# solution regions are marked there), every time nbgrader or `course` reads this file: so even a
# plain `nbgrader generate_assignment` releases the stub, never the solution (course/stubs.py).
# Without the course's venv (no `course` package) the stub already in source/ is used as it is.
try:
    from course.errors import CourseError
    from course.stubs import write_student_dag
except ImportError:
    print(
        "nbgrader_config.py: activate the course's venv (.venv) to regenerate the DAG stub",
        file=sys.stderr,
    )
else:
    if SOURCE.is_dir():
        try:
            write_student_dag(SOURCE / "dags" / "taxi_pipeline.py")
        except CourseError as err:
            # Stop here: nbgrader would otherwise log the error and go on without this config.
            sys.exit(f"error: cannot write the students' DAG: {err}")

c.CourseDirectory.root = str(ROOT)
c.CourseDirectory.course_id = "week11"
c.CourseDirectory.db_url = f"sqlite:///{ROOT / 'gradebook.db'}"

# Running the pipeline leaves a DuckDB warehouse, an Airflow home and dbt's target/ in the
# student's folder (megabytes each): none of it is work to hand in.
c.CourseDirectory.ignore = [
    ".ipynb_checkpoints",
    "*.pyc",
    "__pycache__",
    "feedback",
    ".airflow",
    "warehouse",
    "*.duckdb",
    "*.duckdb.wal",
    "target",
    "logs",
    "dbt_packages",
    ".user.yml",
    ".pytest_cache",
]

# A local exchange, created on first release. nbgrader sets its permissions (exchange 777,
# inbound 733) itself; that works as root and as an ordinary user.
c.Exchange.root = str(ROOT / "exchange")

# On one machine every submission belongs to the same Unix user, so nbgrader's ownership check
# would warn "cheating attempt?" for every student. On a shared multi-user server, set it True.
c.CollectApp.check_owner = False

# Per cell. The cell that imports the student's DAG (and Airflow with it) takes 5-10 s, more on
# a busy machine: nbgrader's 30 s is too tight. DAG runs are not done by nbgrader (the autograder
# does them), so a cell that needs minutes is a student's endless loop: it is cut off and scores 0.
c.Execute.timeout = 120
# The history file is nbgrader's default; the log level hides ipykernel's "running over TCP
# without encryption" warning, printed once per student on the teacher's terminal.
c.Execute.extra_arguments = ["--HistoryManager.hist_file=:memory:", "--IPKernelApp.log_level=40"]

# Starter text says "fill in", never "TODO" (the course's grader counts TODOs as unfinished work).
c.ClearSolutions.code_stub = {"python": "# fill in: your code here\nraise NotImplementedError"}
c.ClearSolutions.text_stub = "*fill in: your answer here*"

# autograde replaces every non-notebook file with the instructor's copy from source/ unless it is
# listed here. The DAG in source/ is the stub, and the documents and the dbt project are the
# student's own work: keep every file the student hands in. Only the public tests (which the
# student must not edit) are put back. (The dbt project's files in source/ are links to
# include/taxi_dbt/; rglob lists them, and nbgrader copies what they point to.)
_RESTORED = ("tests/", "pytest.ini")
c.Autograde.exclude_overwriting = {
    ASSIGNMENT: sorted(
        path.relative_to(SOURCE).as_posix()
        for path in SOURCE.rglob("*")
        if path.is_file()
        and path.suffix != ".ipynb"
        and not path.relative_to(SOURCE).as_posix().startswith(_RESTORED)
    )
}

# One CSV row per student: per-check columns, the tier, the grading status (course/export.py).
c.ExportApp.plugin_class = "course.export.GradesCsvExport"

# Late work: nbgrader's penalty step applies the course's policy (course.toml [deadline]); the
# `course` commands put the due date and each student's extension into the gradebook.
c.AssignLatePenalties.plugin_class = "course.deadlines.LatePenaltyPlugin"
