"""Inside the sandbox: what dbt works out again on every call from the same inputs, remembered.

A graded submission calls dbt ~40 times in one harness, on one project and one parse. Profiled
(CPU time of a `dbt run` + `dbt test` pair in-process on the course's project, ~345 ms once
`dbt_lean` was in; shares of it), these were worked out again on every call:

- **Schema checks** (~6%): every call checks `dbt_project.yml` (and dbt's own two projects) and
  the profile against their JSON schemas, ~1 ms each. The check's verdict depends on nothing but
  the class and the data: data that passed once passes again.
- **Template compiles** (~8%): Jinja compiles each SQL text, query comment and config value to
  Python again on every call (`Environment.from_string` keeps no cache). The code it builds
  depends on the text and the environment's settings, filters and tests, all part of the key.
- **Result tables** (~4%): each query's result becomes an agate table through a new type
  tester, whose date types each build parsedatetime's locale tables (~0.4 ms). A thread keeps
  its testers: one is used by one call at a time and is the same after use (agate's own
  `DEFAULT_TYPE_TESTER` is shared by all threads).
- **Macro contexts** (~5%): each context dbt renders with (~38 per pair: one per node
  compiled or run, one per macro it executes) wraps each of the ~500 macros of the manifest in
  a callable bound to it, sorting each into its namespaces by package, and then copies them
  into the context through `MacroNamespace`'s mapping protocol (a set of all names, then a
  search of five dicts per name). Where each macro goes depends only on its package and the
  context's packages: that plan is kept per manifest and checked against the manifest's macros
  each time, and each callable is made with the same attributes its constructors give it.
  Merging the five dicts so that the first one holding a name wins gives the same names and
  the same objects.

Each falls back to dbt's own code on anything unexpected (data that is not plain, a namespace
or builder of another kind, two macros with one name), so an error surfaces exactly as dbt
raises it. Installed by the harness next to `dbt_reuse` and `dbt_lean`, never in the workbook.
"""

from __future__ import annotations

import operator
from collections.abc import Callable

# Enough for every class and project a grading sees; past it, a memory starts over.
_MAX_REMEMBERED = 4096


def _remember(store: dict, key, value):
    if len(store) >= _MAX_REMEMBERED:
        store.clear()
    store[key] = value
    return value


# ------------------------------------------------------------------- schema checks


def frozen(value: object) -> tuple | None:
    """A hashable copy of plain JSON-like data that keeps every type (True is not 1, 1 is not
    1.0, the key 1 is not "1"); None for anything else."""
    kind = type(value)
    if value is None or kind in (str, int, float, bool):
        return (kind, value)
    if isinstance(value, str) and not getattr(value, "__dict__", None):
        return (kind, str.__str__(value))  # dbt's names and versions: text of their own class
    if kind is dict:
        items = []
        for key, item in value.items():
            pair = frozen(key), frozen(item)
            if None in pair:
                return None
            items.append(pair)
        return (dict, tuple(items))
    if kind in (list, tuple):
        parts = tuple(frozen(item) for item in value)
        return None if None in parts else (kind, parts)
    return None


def validation_memo(original: Callable) -> classmethod:
    """`dbtClassMixin.validate` that remembers the data that passed, per class: the same data
    passes again without a second check. Data that fails is checked (and fails) every time."""
    passed: dict[tuple, bool] = {}

    def validate(cls, data) -> None:
        key = frozen(data)
        if key is not None and (cls, key) in passed:
            return
        original(cls, data)
        if key is not None:
            _remember(passed, (cls, key), True)

    validate.memo = True
    return classmethod(validate)


# ------------------------------------------------------------------- template compiles


def compile_memo(original: Callable, environments: tuple[type, ...]) -> Callable:
    """`Environment.compile` that keeps the code it built for dbt's environments, keyed by all
    the code depends on: the text, its names, and the environment's class, syntax settings,
    extensions, filters and tests (each by identity)."""
    from jinja2.utils import internalcode

    compiled: dict[tuple, object] = {}

    @internalcode  # kept out of template tracebacks, as Jinja's own compile is
    def compile(self, source, name=None, filename=None, raw=False, defer_init=False):
        key = None
        if type(source) is str and not raw and type(self) in environments:
            try:
                key = (_settings(self), source, name, filename, defer_init)
                code = compiled.get(key)
            except TypeError:  # a filter or test that cannot be a key: compile as usual
                key = code = None
            if code is not None:
                return code
        code = original(self, source, name, filename, raw, defer_init)
        return code if key is None else _remember(compiled, key, code)

    compile.memo = True
    return compile


def _settings(env) -> tuple:
    """What Jinja's lexer, parser and code generator read from an environment."""
    return (
        type(env),
        env.block_start_string,
        env.block_end_string,
        env.variable_start_string,
        env.variable_end_string,
        env.comment_start_string,
        env.comment_end_string,
        env.line_statement_prefix,
        env.line_comment_prefix,
        env.trim_blocks,
        env.lstrip_blocks,
        env.newline_sequence,
        env.keep_trailing_newline,
        env.optimized,
        env.is_async,
        env.finalize,
        tuple(env.intercepted_binops),
        tuple(env.intercepted_unops),
        tuple((key, type(ext)) for key, ext in env.extensions.items()),
        tuple(env.filters.items()),
        tuple(env.tests.items()),
    )


# ------------------------------------------------------------------- result tables


def type_tester_memo(original: Callable) -> Callable:
    """`agate_helper.build_type_tester` that gives each thread one tester per set of text
    columns and null values (a tester's date parsers are not for two threads at once)."""
    import threading

    mine = threading.local()

    def build_type_tester(text_columns, string_null_values=("null", "")):
        columns = tuple(text_columns)  # an iterator is read once, for the key and dbt alike
        try:
            nulls = None if string_null_values is None else tuple(string_null_values)
            key = frozenset(columns), nulls
            testers = mine.__dict__.setdefault("testers", {})
            tester = testers.get(key)
        except TypeError:  # values that cannot be a key: a new tester, as dbt builds
            return original(columns, string_null_values)
        if tester is None:
            tester = _remember(testers, key, original(columns, string_null_values))
        return tester

    build_type_tester.memo = True
    return build_type_tester


# ------------------------------------------------------------------- macro contexts


def context_dict(owner: type, namespace_type: type) -> Callable:
    """`ManifestContext.to_dict` (`owner`'s) with the macro namespace merged dict by dict: each
    name gets what `MacroNamespace.__getitem__` gives, the value of the first dict in its search
    order that holds it. Any other namespace (a test's) goes dbt's way."""
    original = owner.to_dict

    def to_dict(self):
        namespace = self.namespace
        if type(namespace) is not namespace_type:
            return original(self)
        dct = super(owner, self).to_dict()  # as dbt's own `super().to_dict()` there
        merged: dict = {}
        for found in reversed(list(namespace._search_order())):  # the first holder last: it wins
            merged.update(found)
        dct.update(merged)
        return dct

    to_dict.memo = True
    return to_dict


def namespace_builder(builder_type: type, generator_type: type, namespace_type: type) -> Callable:
    """`MacroNamespaceBuilder.build_namespace` that places each macro by a plan made once per
    manifest and packages, wrapping it in a callable made without its three constructors."""
    plans: dict[tuple, tuple] = {}  # (root, search, internal packages) -> (macros, plan)
    original = builder_type.build_namespace

    def build_namespace(self, macros_by_package, ctx):
        used = self.globals or self.locals or self.packages or self.internal_packages
        if type(self) is not builder_type or used:
            return original(self, macros_by_package, ctx)  # not a fresh builder of dbt's own
        order = self.internal_package_names_order
        key = (self.root_package, self.search_package, tuple(order))
        macros = [macro for package in macros_by_package.values() for macro in package.values()]
        kept = plans.get(key)
        if kept is None or not _same_objects(kept[0], macros):
            plan = _placement(macros, *key)
            if plan is None:
                return original(self, macros_by_package, ctx)  # dbt raises what it raises
            kept = _remember(plans, key, (macros, plan))
        # One callable per macro, all at once; then each namespace takes its share by position.
        attributes = {"context": ctx, "macro": None, "node": self.node, "stack": self.thread_ctx}
        made, new = [], object.__new__
        for macro in macros:
            generator = new(generator_type)
            generator.__dict__ = own = attributes.copy()
            own["macro"] = macro
            made.append(generator)
        internal, packages = self.internal_packages, self.packages
        for where, package, names, take in kept[1]:
            share = take(made)
            found = dict(zip(names, share, strict=True)) if len(names) > 1 else {names[0]: share}
            if where is _INTERNAL:
                internal[package] = found
            elif where is _PACKAGE:
                packages[package] = found
            else:
                (self.locals if where is _LOCAL else self.globals).update(found)
        project: dict = {}
        for package in reversed(order):  # the first listed wins, as in dbt
            if package in internal:
                project.update(internal[package])
        return namespace_type(
            global_namespace=self.globals,
            local_namespace=self.locals,
            global_project_namespace=project,
            packages=packages,
        )

    build_namespace.memo = True
    return build_namespace


_INTERNAL, _LOCAL, _ROOT, _PACKAGE = "internal", "local", "root", "package"


def _same_objects(kept: list, now: list) -> bool:
    return len(kept) == len(now) and all(map(operator.is_, kept, now))


def _placement(macros: list, root: str, search: str, internal: tuple) -> list | None:
    """Where `MacroNamespaceBuilder.add_macro` puts each macro, as (namespace, package, names,
    a getter of their callables by position), in dbt's order of insertion; None if two would
    share a name in one package (dbt raises an error for that: it is left to dbt)."""
    shares: dict[tuple, tuple[list, list]] = {}  # (namespace, package) -> (names, positions)
    owned: set[tuple[str, str]] = set()  # (package, name) of the macros placed so far
    for position, macro in enumerate(macros):
        name, owner = macro.name, macro.package_name
        if (owner, name) in owned:
            return None
        owned.add((owner, name))
        if owner in internal:
            places = [(_INTERNAL, owner)]
        else:
            places = [(_PACKAGE, owner)]
            if owner == search:
                places.append((_LOCAL, None))
            elif owner == root:
                places.append((_ROOT, None))
        for place in places:
            names, positions = shares.setdefault(place, ([], []))
            names.append(name)
            positions.append(position)
    return [
        (where, package, names, operator.itemgetter(*positions))
        for (where, package), (names, positions) in shares.items()
    ]


def same_generator(generator_type: type) -> bool:
    """True when `generator_type`'s constructors give exactly the attributes, in the order,
    that `namespace_builder` sets (checked once, at install)."""
    macro, context, node, stack = object(), {}, object(), object()
    try:
        real = vars(generator_type(macro, context, node, stack))
    except Exception:  # noqa: BLE001 - another dbt: keep its own constructor
        return False
    made = {"context": context, "macro": macro, "node": node, "stack": stack}
    return list(real) == list(made) and all(real[name] is value for name, value in made.items())


def fill_template_cache(manifest) -> None:
    """Compile every macro of `manifest` into dbt's process-wide template cache, as dbt's first
    call of each macro would (the cache is keyed by the macro's text and never cleared). Done
    once by the warm start on the course's project, whose macros are dbt's and dbt-duckdb's:
    each harness forked from it then skips ~0.2 s of compiles in its first run. A macro that
    does not compile is left to dbt, which reports it where it is called."""
    import contextlib

    from dbt_common.clients.jinja import template_cache

    for macro in manifest.macros.values():
        with contextlib.suppress(Exception):
            template_cache.get_node_template(macro)


# ------------------------------------------------------------------- installing


def install() -> None:
    """Make every later dbt call in this process remember what it can. Idempotent."""
    import jinja2
    from dbt.clients.jinja import MacroGenerator
    from dbt.context import macros as context_macros
    from dbt.context import manifest as context_manifest
    from dbt_common import dataclass_schema
    from dbt_common.clients import agate_helper, jinja

    mixin = dataclass_schema.dbtClassMixin
    if not getattr(mixin.validate, "memo", False):
        mixin.validate = validation_memo(mixin.validate.__func__)
    if not getattr(jinja2.Environment.compile, "memo", False) and not jinja.MACRO_DEBUGGING:
        environments = (jinja.MacroFuzzEnvironment, jinja.NativeSandboxEnvironment)
        jinja2.Environment.compile = compile_memo(jinja2.Environment.compile, environments)
    if not getattr(context_manifest.ManifestContext.to_dict, "memo", False):
        context = context_manifest.ManifestContext
        context.to_dict = context_dict(context, context_macros.MacroNamespace)
    builder = context_macros.MacroNamespaceBuilder
    if not getattr(builder.build_namespace, "memo", False) and same_generator(MacroGenerator):
        builder.build_namespace = namespace_builder(
            builder, MacroGenerator, context_macros.MacroNamespace
        )
    if not getattr(agate_helper.build_type_tester, "memo", False):
        agate_helper.build_type_tester = type_tester_memo(agate_helper.build_type_tester)
