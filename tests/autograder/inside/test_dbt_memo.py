"""What dbt works out again on every call, remembered (inside/dbt_memo.py), gives dbt's own
results: schema checks that still refuse bad data, compiled templates keyed by everything their
code depends on, type testers per thread, and macro namespaces and contexts with the same names
and the very same objects (checked on a real `dbt run` and `dbt test`)."""

from __future__ import annotations

import json

import pytest

from autograder.inside import dbt_memo
from tests.autograder.helpers import run_python
from tests.autograder.inside.test_dbt_reuse import (  # noqa: F401 - project: a fixture
    project,
    run_driver,
)


def test_install_is_idempotent() -> None:
    code = (
        "import jinja2\n"
        "from autograder.inside import dbt_memo\n"
        "from dbt.context.macros import MacroNamespaceBuilder\n"
        "from dbt.context.manifest import ManifestContext\n"
        "from dbt_common import dataclass_schema\n"
        "from dbt_common.clients import agate_helper\n"
        "def patched():\n"
        "    return (dataclass_schema.dbtClassMixin.validate.__func__,\n"
        "            jinja2.Environment.compile, agate_helper.build_type_tester,\n"
        "            ManifestContext.to_dict, MacroNamespaceBuilder.build_namespace)\n"
        "dbt_memo.install(); first = patched()\n"
        "dbt_memo.install()\n"
        "assert first == patched()\n"
        "assert all(part.memo for part in first)\n"
    )
    run_python(code)


# ------------------------------------------------------------------- schema checks


def test_frozen_data_keeps_every_type_and_refuses_anything_else() -> None:
    from dbt.contracts.project import SemverString

    assert dbt_memo.frozen({"a": [1, 2.5, None, "x"]}) == dbt_memo.frozen(
        {"a": [1, 2.5, None, "x"]}
    )
    different = [True, 1, 1.0, "1", [1], (1,), {1: 0}, {"1": 0}, {True: 0}]
    keys = [dbt_memo.frozen(value) for value in different]
    assert None not in keys and len(set(keys)) == len(different)  # equal in Python, not here
    assert dbt_memo.frozen(SemverString("1.0.0")) != dbt_memo.frozen("1.0.0")

    class Tagged(str):
        pass

    tagged = Tagged("x")
    tagged.note = "state of its own"
    for odd in ({"a": object()}, [b"bytes"], {b"key": 1}, {1, 2}, tagged):
        assert dbt_memo.frozen(odd) is None, odd


def test_data_that_passed_is_not_checked_again_and_bad_data_fails_every_time() -> None:
    from dbt.contracts.project import Project
    from dbt_common.dataclass_schema import ValidationError

    checked = []

    def original(cls, data) -> None:
        checked.append(data)
        if not isinstance(data.get("name"), str):
            raise ValidationError("name must be text")

    validate = dbt_memo.validation_memo(original).__get__(None, Project)
    good = {"name": "taxi", "version": "1.0", "models": {"+materialized": "view"}}
    validate(good)
    validate(dict(good))  # an equal copy: remembered
    assert len(checked) == 1
    good["models"]["+materialized"] = "table"  # changed in place: checked again
    validate(good)
    assert len(checked) == 2
    for _ in range(2):
        with pytest.raises(ValidationError):
            validate({"name": 3})
    assert len(checked) == 4
    with_object = {"name": "taxi", "hook": object()}  # cannot be a key: checked every time
    validate(with_object), validate(with_object)
    assert len(checked) == 6


def test_dbt_project_checks_still_refuse_a_bad_project() -> None:
    from dbt.contracts.project import Project
    from dbt_common import dataclass_schema
    from dbt_common.dataclass_schema import ValidationError

    original = dataclass_schema.dbtClassMixin.validate.__func__
    validate = dbt_memo.validation_memo(original).__get__(None, Project)
    good = {"name": "taxi", "version": "1.0", "config-version": 2, "profile": "taxi"}
    validate(good)
    for bad in ({**good, "version": ["not", "a", "version"]}, {**good, "models": "x"}):
        for _ in range(2):
            with pytest.raises(ValidationError):
                validate(bad)


# ------------------------------------------------------------------- template compiles


def _dbt_env(native: bool = False):
    from dbt_common.clients.jinja import get_environment

    return get_environment(native=native)


def test_a_template_compiles_once_per_text_and_environment_settings() -> None:
    import jinja2
    from dbt_common.clients.jinja import MacroFuzzEnvironment, NativeSandboxEnvironment

    builds = []

    def original(self, source, name=None, filename=None, raw=False, defer_init=False):
        builds.append(source)
        return jinja2.Environment.compile(self, source, name, filename, raw, defer_init)

    compile = dbt_memo.compile_memo(original, (MacroFuzzEnvironment, NativeSandboxEnvironment))
    text = "select {{ x | upper }} as {{ 'y' ~ n }}"
    first, again = _dbt_env(), _dbt_env()
    code = compile(first, text)
    assert compile(again, text) is code and len(builds) == 1  # a new environment, same settings
    assert compile(_dbt_env(native=True), text) is not code  # another class
    again.filters["upper"] = lambda value: value  # another filter under the same name
    assert compile(again, text) is not code
    again.trim_blocks = True
    compile(again, text)
    assert len(builds) == 4
    assert compile(first, text, raw=True) != code and len(builds) == 5  # Python text: never kept
    plain = jinja2.Environment()  # not dbt's: never kept
    compile(plain, text), compile(plain, text)
    assert len(builds) == 7
    rendered = jinja2.Template.from_code(first, code, first.make_globals(None), None)
    assert rendered.render(x="a", n=1) == "select A as y1"


def test_a_filter_missing_from_one_environment_is_still_an_error_there() -> None:
    import jinja2
    from dbt_common.clients.jinja import MacroFuzzEnvironment, NativeSandboxEnvironment

    compile = dbt_memo.compile_memo(
        jinja2.Environment.compile, (MacroFuzzEnvironment, NativeSandboxEnvironment)
    )
    text = "{{ 'a' | shout }}"
    loud = _dbt_env()
    loud.filters["shout"] = str.upper
    compile(loud, text)
    for _ in range(2):
        with pytest.raises(jinja2.TemplateAssertionError, match="shout"):
            compile(_dbt_env(), text)
    with pytest.raises(jinja2.TemplateSyntaxError):
        compile(_dbt_env(), "{% if %}")


# ------------------------------------------------------------------- result tables


def test_a_thread_reuses_its_type_testers_and_tables_come_out_the_same() -> None:
    import threading

    from dbt_common.clients import agate_helper

    build = dbt_memo.type_tester_memo(agate_helper.build_type_tester)
    first = build(iter(["name"]), string_null_values=())  # an iterator, read once
    assert build({"name"}, string_null_values=()) is first
    assert build(set(), string_null_values=()) is not first
    assert build({"name"}) is not first  # other null values
    elsewhere = []
    worker = threading.Thread(
        target=lambda: elsewhere.append(build({"name"}, string_null_values=()))
    )
    worker.start(), worker.join()
    assert elsewhere[0] is not first  # each thread its own date parsers
    rows = [["2024-01-31", "12", "", "null"], ["2024-02-01", "7", "x", "null"]]
    columns = ["day", "count", "note", "name"]
    for _ in range(2):
        mine = agate_helper.agate.Table(rows, columns, column_types=first)
        dbts = agate_helper.agate.Table(
            rows, columns, column_types=agate_helper.build_type_tester({"name"}, ())
        )
        assert [type(t) for t in mine.column_types] == [type(t) for t in dbts.column_types]
        assert [list(r) for r in mine.rows] == [list(r) for r in dbts.rows]


# ------------------------------------------------------------------- macro contexts


def test_a_merged_macro_namespace_gives_each_name_what_the_namespace_gives() -> None:
    from dbt.context.macros import MacroNamespace

    class Builtins:
        def to_dict(self) -> dict:
            return {"run_query": "builtin", "log": "builtin"}

    class Context(Builtins):  # the shape of dbt's ManifestContext.to_dict
        def to_dict(self) -> dict:
            dct = super().to_dict()
            dct.update(self.namespace)
            return dct

    context = Context()
    context.namespace = MacroNamespace(  # names in several places: the search order decides
        global_namespace={"a": "root", "b": "root", "dbt": "root"},
        local_namespace={"a": "local", "run_query": "local"},
        global_project_namespace={"a": "dbt", "c": "dbt", "d": "dbt"},
        packages={"taxi": {"a": "taxi"}, "b": "package"},
    )
    merged = dbt_memo.context_dict(Context, MacroNamespace)(context)
    assert merged == Context.to_dict(context)
    assert merged["a"] == "local" and merged["b"] == "root" and merged["dbt"] == "root"
    assert merged["log"] == "builtin" and merged["run_query"] == "local"

    class Other(MacroNamespace):  # another kind of namespace: dbt's own way
        def __getitem__(self, key):
            return "other"

    context.namespace = Other({}, {"x": 1}, {}, {})
    assert dbt_memo.context_dict(Context, MacroNamespace)(context)["x"] == "other"


# Runs a real `dbt run` and `dbt test` with each macro namespace and each context built both
# ways: namespaces with the same names in the same order, each wrapping the same macro for the
# same context, node and stack; contexts (on the same context object) with the same names and
# the very same macro objects under each.
CONTEXTS = r"""
import json, sys
from dbt.cli.main import dbtRunner
from dbt.clients.jinja import MacroGenerator
from dbt.context import macros, manifest
from autograder.inside import dbt_memo
from tests.autograder.inside.test_dbt_memo import _namespace_shape

plain = manifest.ManifestContext.to_dict
lean = dbt_memo.context_dict(manifest.ManifestContext, macros.MacroNamespace)
seen = {"contexts": 0, "different": 0, "most_macros": 0, "namespaces": 0, "built_apart": 0}
Builder = macros.MacroNamespaceBuilder
plain_build = Builder.build_namespace
lean_build = dbt_memo.namespace_builder(Builder, MacroGenerator, macros.MacroNamespace)

def build_both(self, macros_by_package, ctx):
    args = (self.root_package, self.search_package, self.thread_ctx,
            self.internal_package_names_order, self.node)
    first = plain_build(Builder(*args), macros_by_package, ctx)
    second = lean_build(self, macros_by_package, ctx)
    seen["namespaces"] += 1
    seen["built_apart"] += _namespace_shape(first) != _namespace_shape(second)
    return second

Builder.build_namespace = build_both

def both(self):
    first = dict(plain(self))
    second = lean(self)
    names = set(self.namespace) if type(self.namespace) is macros.MacroNamespace else set()
    seen["contexts"] += 1
    seen["most_macros"] = max(seen["most_macros"], len(names))
    same = first.keys() == second.keys() and all(first[n] is second[n] for n in names)
    seen["different"] += not same
    return second

manifest.ManifestContext.to_dict = both
for command in ("run", "test"):
    done = dbtRunner().invoke([command, "--project-dir", ".", "--profiles-dir", "."])
    assert done.success, done.exception
print(json.dumps(seen))
"""


@pytest.mark.slow
def test_real_dbt_contexts_hold_the_same_macros_either_way(project) -> None:  # noqa: F811
    driver = project.parent / "contexts_driver.py"
    driver.write_text(CONTEXTS)
    seen = json.loads(run_driver(project, driver).splitlines()[-1])
    assert seen["contexts"] > 20 and seen["most_macros"] > 400, seen
    assert seen["namespaces"] > 20, seen
    assert seen["different"] == 0 and seen["built_apart"] == 0, seen


def _namespace_shape(namespace) -> list:
    from dbt.clients.jinja import MacroGenerator

    def flat(found: dict) -> list:
        return [(name, one(value)) for name, value in found.items()]

    def one(value):
        if not isinstance(value, MacroGenerator):
            return flat(value)
        return [(name, id(part)) for name, part in vars(value).items()]

    parts = (
        namespace.global_namespace,
        namespace.local_namespace,
        namespace.global_project_namespace,
        namespace.packages,
    )
    return [flat(found) for found in parts]


@pytest.mark.parametrize("search", ["taxi", "other", "dbt"])
def test_a_planned_namespace_puts_each_macro_where_dbt_does(search: str) -> None:
    from types import SimpleNamespace

    from dbt.clients.jinja import MacroGenerator, MacroStack
    from dbt.context.macros import MacroNamespace, MacroNamespaceBuilder
    from dbt.exceptions import DuplicateMacroNameError

    def macro(name: str, package: str) -> SimpleNamespace:
        path = f"macros/{name}.sql"
        return SimpleNamespace(
            name=name, package_name=package, unique_id=f"{package}.{name}", original_file_path=path
        )

    by_package = {  # one name in every package, and packages the root and search share
        "dbt": {"m": macro("m", "dbt"), "shared": macro("shared", "dbt")},
        "dbt_duckdb": {"shared": macro("shared", "dbt_duckdb")},
        "taxi": {"m": macro("m", "taxi"), "mine": macro("mine", "taxi")},
        "other": {"m": macro("m", "other"), "theirs": macro("theirs", "other")},
    }
    lean = dbt_memo.namespace_builder(MacroNamespaceBuilder, MacroGenerator, MacroNamespace)
    args = ("taxi", search, MacroStack(), ["dbt_duckdb", "dbt"], object())
    ctx: dict = {}
    for _ in range(2):  # the plan made, then the plan kept
        plain = MacroNamespaceBuilder(*args).build_namespace(by_package, ctx)
        planned = lean(MacroNamespaceBuilder(*args), by_package, ctx)
        assert _namespace_shape(planned) == _namespace_shape(plain)
        assert dict(planned).keys() == dict(plain).keys()
    by_package["taxi"]["m"] = macro("m", "taxi")  # another macro object: a new plan
    planned = lean(MacroNamespaceBuilder(*args), by_package, ctx)
    assert planned.get_from_package("taxi", "m").macro is by_package["taxi"]["m"]
    by_package["other"]["stray"] = macro("mine", "taxi")  # a second taxi.mine: dbt's error
    with pytest.raises(DuplicateMacroNameError):
        lean(MacroNamespaceBuilder(*args), by_package, ctx)
