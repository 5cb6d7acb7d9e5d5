"""The nightly taxi load the cron way: `0 6 * * * python ch01_nightly_job.py 2024-03`.

The five steps run one after the other in one process. If a step raises, the script stops
there with a traceback; nothing retries it and nothing tells anyone, unless somebody reads
the output cron mails to the machine's local mailbox.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "dags"))

from ch01_nightly_steps import dbt, download, load_raw, notify  # noqa: E402

month = sys.argv[1]
print(f"step 1/5: download {month}", flush=True)
file = download(month)
print(f"step 2/5: load {file.name} into raw_trips", flush=True)
rows = load_raw(month, file)
print("step 3/5: dbt run", flush=True)
dbt("run")
print("step 4/5: dbt test", flush=True)
dbt("test")
print("step 5/5: notify", flush=True)
notify(month, "success", f"raw_trips holds {rows} rows")
print("done", flush=True)
