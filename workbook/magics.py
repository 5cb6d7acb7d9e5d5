"""What the workbook adds to IPython: the `%%dag <name>` cell magic, and a friendly message when
a self-check runs before its exercise cell."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol


class DagWriter(Protocol):
    def write_dag(self, name: str, source: str) -> Path: ...


def register_magics(wb: DagWriter) -> None:
    """Register the magics in the running IPython (nothing happens outside IPython)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipykernel
        return
    shell = get_ipython()
    if shell is None:
        return

    def dag(line: str, cell: str) -> None:
        """%%dag <name>: save this cell as the DAG file <work>/dags/<name>.py."""
        name = line.strip()
        if not name:
            print("❌ Give the DAG a name on the first line, e.g. %%dag ch02_my_first_dag")
            return
        wb.write_dag(name, cell)

    shell.register_magic_function(dag, magic_kind="cell", magic_name="dag")
    shell.set_custom_exc((NameError,), _missing_exercise)


def _missing_exercise(
    shell: Any, etype: type, value: BaseException, tb: Any, tb_offset: int | None = None
) -> Any:
    """A self-check run before its exercise cell: say so instead of a NameError traceback."""
    name = getattr(value, "name", "") or ""
    if name.startswith("ex") and "_" in name:
        print(f"❌ {name} is not defined yet: run the exercise cell above this check first.")
        return None
    return shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
