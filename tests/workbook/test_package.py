"""Every name the notebooks import exists where they import it from. (Module sizes and import
cycles of every package: `tests/test_tree.py`.)"""

from __future__ import annotations

import importlib
import re

from tests.conftest import REPO

NOTEBOOK_IMPORT = re.compile(r"^from (workbook(?:\.\w+)*) import (.+)$", re.M)


def test_what_the_notebooks_import_exists() -> None:
    sources = sorted((REPO / "notebooks" / "_build" / "src").glob("*.md"))
    imports = [m for path in sources for m in NOTEBOOK_IMPORT.findall(path.read_text())]
    assert imports, "the notebooks import from the workbook"
    for module, names in imports:
        loaded = importlib.import_module(module)
        for name in (n.strip() for n in names.split(",")):
            if not hasattr(loaded, name):  # a submodule: `from workbook import pictures`
                importlib.import_module(f"{module}.{name}")
