"""The check registry: every check, with everything it says about itself.

A check is a function registered with `@check(...)`: its id (a gradebook column: never rename
one after release), the rules of assignment/CONTRACT.md it grades (`rules`, their `[R-...]`
markers), points, visibility, tier, hint, what it needs to be able to pass (`needs`, see
`needs.py`: the DAG file, its import, the loaded DAG, a document, scenario steps and the
warehouses they left), and the workbook section that teaches its subject (`teaches`, see
`autograder/workbook_links.py`; a failed check's feedback links there). Its docstring's first
line is the title students and teachers see.

Every list of check ids is a query here instead of a copy kept by hand:

    by_tier()                 the tier table
    steps_read_by(checks)     the scenario steps a grading run must make for those checks
    warehouses_read_by(checks)  the steps whose warehouses the grader must read for them
    dependents_of(*needs)     the checks that cannot pass when any of `needs` is missing
                              (the test corpus derives its expected failures from it)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from autograder import workbook_links
from autograder.checks import needs as need
from autograder.checks.context import Context
from autograder.checks.outcome import Outcome
from autograder.results import CATEGORIES, Visibility
from autograder.tiers import TIERS

CheckFunction = Callable[[Context], Outcome]
_ID = re.compile(rf"({'|'.join(CATEGORIES)})_[a-z0-9_]+")
RULE = re.compile(r"R-[a-z0-9]+(?:-[a-z0-9]+)*")  # a rule's marker in CONTRACT.md: [R-dag-id]


@dataclass(frozen=True)
class Check:
    order: int
    id: str
    points: float
    visibility: Visibility
    tier: str
    needs: tuple[str, ...]  # as declared; `requires` follows what they need in turn
    hint: str
    title: str
    func: CheckFunction
    rules: tuple[str, ...] = ()  # the contract rules it grades (CONTRACT.md's [R-...] markers)
    teaches: str = ""  # workbook_links target: "NN_topic.ipynb#Heading-anchor"

    @property
    def category(self) -> str:
        return self.id.split("_", 1)[0]

    @property
    def is_hidden(self) -> bool:
        return self.visibility == "hidden"

    @property
    def steps(self) -> frozenset[str]:
        """The scenario steps whose runs this check reads (reading a warehouse reads its run)."""
        return frozenset(s for n in need.closure(self.needs) if (s := need.step_of(n)))

    @property
    def warehouses(self) -> frozenset[str]:
        """The scenario steps whose warehouses this check reads."""
        return frozenset(s for n in self.needs if (s := need.warehouse_of(n)))

    def requires(self, what: str) -> bool:
        """True if this check cannot pass without `what` (declared or implied)."""
        return what in need.closure(self.needs)


REGISTRY: dict[str, Check] = {}


def check(
    *,
    id: str,  # noqa: A002 - the name every check is known by
    rules: Iterable[str] = (),
    points: float,
    visibility: Visibility,
    tier: str,
    needs: Iterable[str],
    hint: str,
    teaches: str = "",
) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check (see the module docstring). Mistakes in a declaration raise at import."""
    if not _ID.fullmatch(id):
        raise ValueError(f"check id {id!r} needs a category prefix ({', '.join(CATEGORIES)})")
    if id in REGISTRY:
        raise ValueError(f"check id {id!r} is registered twice")
    if tier not in TIERS:
        raise ValueError(f"check {id!r}: tier {tier!r} is not one of {TIERS}")
    if visibility not in ("public", "hidden"):
        raise ValueError(f"check {id!r}: visibility must be 'public' or 'hidden'")
    if points <= 0:
        raise ValueError(f"check {id!r}: points must be positive")
    if bad := [r for r in rules if not RULE.fullmatch(r)]:
        raise ValueError(f"check {id!r}: rules {bad} are not contract markers like 'R-dag-id'")
    if teaches:
        workbook_links.parse(teaches)
    declared = tuple(need.validate(n) for n in needs)
    if not declared:
        raise ValueError(f"check {id!r}: declare what it needs (needs=[...], see checks/needs.py)")

    def register(func: CheckFunction) -> CheckFunction:
        title = (func.__doc__ or id).strip().splitlines()[0]
        REGISTRY[id] = Check(
            len(REGISTRY),
            id,
            points,
            visibility,
            tier,
            declared,
            hint,
            title,
            func,
            rules=tuple(rules),
            teaches=teaches,
        )
        return func

    return register


def all_checks() -> dict[str, Check]:
    """Every check, by category (integrity, airflow3, docs, behaviour), then as defined."""
    order = list(CATEGORIES)
    ranked = sorted(REGISTRY.values(), key=lambda c: (order.index(c.category), c.order))
    return {c.id: c for c in ranked}


def checks_to_run(public_only: bool = False) -> tuple[Check, ...]:
    """The checks a grading run evaluates, in order: all, or the public ones (`check`)."""
    return tuple(c for c in all_checks().values() if not (public_only and c.is_hidden))


def by_tier() -> dict[str, tuple[str, ...]]:
    """The tier table: for each tier (in order), the ids of its checks."""
    checks = all_checks().values()
    return {tier: tuple(c.id for c in checks if c.tier == tier) for tier in TIERS}


def steps_read_by(checks: Iterable[Check]) -> frozenset[str]:
    """The scenario steps whose runs any of `checks` reads."""
    return frozenset(s for c in checks for s in c.steps)


def warehouses_read_by(checks: Iterable[Check]) -> frozenset[str]:
    """The scenario steps whose warehouses any of `checks` reads."""
    return frozenset(s for c in checks for s in c.warehouses)


def dependents_of(*needs: str) -> frozenset[str]:
    """Ids of the checks that cannot pass when any of `needs` is missing.

    `dependents_of(DAG)`: every check that fails when the DAG does not load (a cycle);
    `dependents_of(DAG_IMPORT)`: ... when the file does not import; `dependents_of(step(s))`:
    every check that reads the run of step `s`.
    """
    for n in needs:
        need.validate(n)
    return frozenset(c.id for c in all_checks().values() if any(c.requires(n) for n in needs))
