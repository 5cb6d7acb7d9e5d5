"""The teacher's secret, and the hidden scenarios' parameters drawn from it.

`autograder/scenarios.py` is public: every student who clones the repository can read which month
the hidden checks break and how. With a secret, those parameters are drawn from it instead, so a
submission that special-cases the public values loses the hidden points it was tuned for.

The secret is a line of text in a file outside the repository (`autograder grade --secret PATH`,
or `[autograder] secret_file` in the course's `course.toml`), else `$AUTOGRADER_SECRET`. Drawing
is deterministic (HMAC-SHA256 keyed with the secret), so a regrade makes the same runs and the
cached answer key still fits. The secret stays in the grader's process: the sandbox supervisor
gets the fault schedules it derives, the student's code gets nothing but its own run's date.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
from collections.abc import Mapping, Sequence
from pathlib import Path

from pydantic import SecretStr

from autograder.errors import AutograderError
from autograder.scenarios import BACKFILL_MONTHS, PUBLIC, HiddenParameters, month_after

ENV_VAR = "AUTOGRADER_SECRET"
MIN_LENGTH = 16  # a short secret could be found by trying: the draws are few
REPO_ROOT = Path(__file__).resolve().parents[1]
# No hidden run is dated before the backfill's first month: the contract's start_date is 2024-01-01.
FIRST_MONTH = BACKFILL_MONTHS[0]
TRANSIENT_FAILURES = (1, 2)  # the contract asks for 2 retries: never more failures than that
BROKEN_ROWS = range(2, 10)
_MAKE_ONE = (
    "Make one with: python -c 'import secrets; print(secrets.token_hex(24))' > PATH; chmod 600 PATH"
)


def read_secret(path: Path | None, environ: Mapping[str, str] = os.environ) -> SecretStr | None:
    """The secret in the file `path`, else in `$AUTOGRADER_SECRET`, else None (public values)."""
    if path is None:
        value = environ.get(ENV_VAR, "").strip()
        if value and len(value) < MIN_LENGTH:
            raise AutograderError(
                f"${ENV_VAR} is {len(value)} characters; use at least {MIN_LENGTH} random ones."
            )
        return SecretStr(value) if value else None
    path = Path(path).expanduser().resolve()
    if path == REPO_ROOT or REPO_ROOT in path.parents:
        raise AutograderError(
            f"{path}: the secret file is inside the repository, where students can read it. "
            f"Move it outside {REPO_ROOT} (e.g. ~/.config/week11/secret)."
        )
    if not path.is_file():
        raise AutograderError(f"{path}: no such secret file. {_MAKE_ONE}")
    if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise AutograderError(
            f"{path}: other users can read the secret file. Run: chmod 600 {path}"
        )
    value = path.read_text(encoding="utf-8").strip()
    if len(value) < MIN_LENGTH:
        raise AutograderError(
            f"{path}: the secret is {len(value)} characters; use at least {MIN_LENGTH} random "
            f"ones. {_MAKE_ONE}"
        )
    return SecretStr(value)


def served_months(latest_month: str) -> tuple[str, ...]:
    """The months a hidden run may be dated: from the backfill's first to the latest published."""
    months, month = [], FIRST_MONTH
    while month <= latest_month:
        months.append(month)
        month = month_after(month)
    return tuple(months)


def _pick(secret: str, name: str, choices: Sequence):
    digest = hmac.new(secret.encode(), name.encode(), hashlib.sha256).digest()
    return choices[int.from_bytes(digest[:8], "big") % len(choices)]


def draw(secret: str, latest_month: str) -> HiddenParameters:
    """The hidden scenarios' parameters for `secret`: the same secret, the same parameters.

    Each month differs from its public value, so special-casing the public month never pays.
    """
    months = served_months(latest_month)

    def month(name: str, public: str) -> str:
        return _pick(secret, f"{name}:{latest_month}", [m for m in months if m != public])

    return HiddenParameters(
        transient_month=month("transient_month", PUBLIC.transient_month),
        transient_failures=_pick(secret, "transient_failures", TRANSIENT_FAILURES),
        permanent_month=month("permanent_month", PUBLIC.permanent_month),
        broken_month=month("broken_month", PUBLIC.broken_month),
        broken_rows=_pick(
            secret, "broken_rows", [n for n in BROKEN_ROWS if n != PUBLIC.broken_rows]
        ),
        secret_id=hmac.new(secret.encode(), b"secret id", hashlib.sha256).hexdigest()[:16],
    )
