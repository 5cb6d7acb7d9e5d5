"""Self-checks for the workbook's exercises: ✅ when it works, ❌ and a hint when it does not.

A notebook's check cell is one line, `wb.check("ch03_weekday_cron", ex_weekday_cron)`. The
registry (`registry.py`) runs a check and frames its outcome; the checks themselves live one
module per chapter (`ch00.py` ... `ch10.py`), so they can be tested without a notebook and the
notebooks stay short. Importing this package registers every chapter's checks.
"""

from workbook.selfchecks import ch00, ch01, ch02, ch03, ch04, ch05, ch06, ch07, ch08, ch09, ch10
from workbook.selfchecks.registry import EXERCISES, RESULTS, Hint, Result, check

CHAPTERS = (ch00, ch01, ch02, ch03, ch04, ch05, ch06, ch07, ch08, ch09, ch10)

__all__ = ["CHAPTERS", "EXERCISES", "RESULTS", "Hint", "Result", "check"]
