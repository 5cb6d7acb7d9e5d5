"""What a check returns: the fraction of its points earned, what was found, and some output."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    fraction: float
    message: str = ""
    output: str = ""

    @classmethod
    def ok(cls, message: str = "", output: str = "") -> Outcome:
        return cls(1.0, message, output)

    @classmethod
    def fail(cls, message: str, output: str = "") -> Outcome:
        return cls(0.0, message, output)

    @classmethod
    def partial(cls, fraction: float, message: str, output: str = "") -> Outcome:
        return cls(max(0.0, min(1.0, fraction)), message, output)

    @classmethod
    def from_parts(cls, parts: list[tuple[bool, str]], output: str = "") -> Outcome:
        """Equal-weight parts: (passed, what is wrong if it did not pass)."""
        if not parts:
            return cls.ok(output=output)
        failed = [why for passed, why in parts if not passed]
        fraction = (len(parts) - len(failed)) / len(parts)
        return cls(fraction, " ".join(dict.fromkeys(w for w in failed if w)), output)


def sentence(text: str) -> str:
    """`text` as a sentence: capitalised (unless it starts with an identifier) and ended."""
    text = text.strip()
    if not text:
        return text
    first = text.split(" ", 1)[0]
    if "_" not in first and "." not in first and not first.startswith("`"):
        text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def listing(findings: Sequence[object], limit: int = 8) -> str:
    """One finding per line, at most `limit` of them."""
    lines = [str(f) for f in findings[:limit]]
    if len(findings) > limit:
        lines.append(f"... and {len(findings) - limit} more")
    return "\n".join(lines)
