"""assignment/CONTRACT.md, rule by rule, against the check registry.

Every rule of the contract carries a marker (`[R-dag-id]`). Each rule is graded by a check that
names it (`@check(rules=[...])`), or section 9 of the contract says plainly that it is not graded
and why; a check never names a rule the contract does not have.
"""

from __future__ import annotations

import re
from pathlib import Path

from autograder.checks import all_checks

CONTRACT = Path(__file__).resolve().parents[3] / "assignment" / "CONTRACT.md"
NOT_GRADED = "## 9. What the autograder does not grade"
# A rule's marker; one in `backticks` is the contract talking about markers, not a rule.
MARKER = re.compile(r"(?<!`)\[(R-[a-z0-9]+(?:-[a-z0-9]+)*)\](?!`)")


def contract_parts() -> tuple[list[str], dict[str, str]]:
    """(every rule marker in the contract's order, {rule: why it is not graded})."""
    text = CONTRACT.read_text(encoding="utf-8")
    assert NOT_GRADED in text, f"{CONTRACT} has no section {NOT_GRADED!r}"
    rules_text, _, exempt_text = text.partition(NOT_GRADED)
    not_graded: dict[str, str] = {}
    for item in re.split(r"\n- ", exempt_text)[1:]:
        names, _, reason = item.partition(": ")
        for rule in re.findall(r"`(R-[a-z0-9-]+)`", names):
            not_graded[rule] = " ".join(reason.split())
    return MARKER.findall(rules_text), not_graded


def graded_by() -> dict[str, set[str]]:
    """{rule: the ids of the checks that name it}."""
    found: dict[str, set[str]] = {}
    for item in all_checks().values():
        for rule in item.rules:
            found.setdefault(rule, set()).add(item.id)
    return found


def test_each_rule_is_marked_once() -> None:
    rules, _ = contract_parts()
    assert len(rules) >= 25, "the contract's markers were not found"
    assert sorted(r for r in set(rules) if rules.count(r) > 1) == []


def test_every_rule_is_graded_or_says_why_not() -> None:
    rules, not_graded = contract_parts()
    graded = graded_by()
    ungraded = [r for r in rules if r not in graded and r not in not_graded]
    assert ungraded == [], "no check grades these rules and section 9 does not list them"
    both = sorted(set(graded) & set(not_graded))
    assert both == [], f"section 9 says these are not graded, but checks grade them: {both}"


def test_every_check_names_rules_the_contract_has() -> None:
    rules, _ = contract_parts()
    nameless = [c.id for c in all_checks().values() if not c.rules]
    assert nameless == [], "these checks name no rule of CONTRACT.md (@check(rules=[...]))"
    unknown = {r: sorted(ids) for r, ids in graded_by().items() if r not in rules}
    assert unknown == {}, "checks name rules CONTRACT.md does not mark"


def test_the_not_graded_list_names_real_rules_with_a_reason() -> None:
    rules, not_graded = contract_parts()
    assert not_graded, "section 9 lists no rule"
    assert sorted(set(not_graded) - set(rules)) == []
    short = [r for r, reason in not_graded.items() if len(reason) < 40]
    assert short == [], "give each rule in section 9 a reason"


def test_the_403_rule_has_its_own_check() -> None:
    assert graded_by()["R-403-fails-at-once"] == {"behaviour_unpublished_fails_at_once"}
