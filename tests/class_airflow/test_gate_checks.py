"""The gate's checks on evidence alone (no sandbox): what each one catches and what it says."""

from __future__ import annotations

from pathlib import Path

from class_airflow.gate import checks
from class_airflow.gate.sandbox import ImportEvidence
from class_airflow.roster import parse
from class_airflow.shared_repo import TreeEntry

ROSTER = parse(Path("roster.csv"), "student\nada\nlee\nlee_ann\n")
ADA = ROSTER.get("ada")


def _blob(path: str, size: int = 100, mode: str = "100644") -> TreeEntry:
    return TreeEntry(mode, "blob", "0" * 40, size, path)


def test_files_that_never_reach_the_scheduler() -> None:
    problems = checks.files_allowed(
        ADA,
        [
            _blob("taxi_pipeline.py"),
            _blob("link.py", mode="120000"),
            _blob("warehouse.duckdb", size=5 << 20),
            _blob("dbt_helpers.py"),
            TreeEntry("160000", "commit", "1" * 40, None, "vendored"),
        ],
    )
    lines = [p.line() for p in problems]
    assert len(lines) == 4
    assert "dags/ada/link.py: is a symbolic link." in lines[0]
    assert "dags/ada/warehouse.duckdb: is 5242880 bytes" in lines[1]
    assert "dbt imports every such module" in lines[2] and "helpers.py" in lines[2]
    assert "dags/ada/vendored: is a commit (160000)" in lines[3]


def test_an_id_used_twice_in_a_folder_or_by_a_classmate_is_refused() -> None:
    per_file = {
        "dags/ada/a.py": ["ada_taxi_pipeline"],
        "dags/ada/b.py": ["ada_taxi_pipeline", "ada_report"],
    }
    dag_ids = {"ada_taxi_pipeline": "dags/ada/b.py", "ada_report": "dags/ada/b.py"}
    problems = checks.unique(ADA, dag_ids, per_file, taken={"ada_report": "lee"})
    lines = [p.line() for p in problems]
    assert "'ada_taxi_pipeline' is defined in 2 files" in lines[0]
    assert "'ada_report' is already deployed by lee" in lines[1]
    assert checks.unique(ADA, {"ada_x": "f"}, {"f": ["ada_x"]}, {"ada_x": "ada"}) == []


def test_prefixes_follow_the_longest_matching_student() -> None:
    lee = ROSTER.get("lee")
    assert checks.prefixed(lee, ROSTER, {"lee_taxi_pipeline": "f"}) == []
    (borrowed,) = checks.prefixed(lee, ROSTER, {"lee_ann_taxi_pipeline": "f"})
    assert "belongs to lee_ann" in borrowed.message
    (bare,) = checks.prefixed(lee, ROSTER, {"taxi_pipeline": "f"})
    assert "does not start with 'lee_'" in bare.message and "lee_taxi_pipeline" in bare.fix


def test_import_failures_are_told_apart() -> None:
    def problem(**evidence) -> str:
        (found,) = checks.imports({"dags/ada/x.py": ImportEvidence(**evidence)}, 10)
        return found.line()

    assert "longer than 10 s" in problem(status="timeout")
    assert "ran out of memory" in problem(status="ok", errors={"x": "Traceback\nMemoryError"})
    assert "stops the interpreter" in problem(status="fatal", fatal="SystemExit(0)")
    assert "crashed the sandbox (killed by signal SIGSEGV)" in problem(
        status="died", detail="killed by signal SIGSEGV"
    )
    assert "importing failed: NameError: x" in problem(
        status="ok", errors={"x": "Traceback\nNameError: x"}
    )
    assert checks.imports({"f": ImportEvidence(status="ok", dag_ids=["ada_x"])}, 10) == []
