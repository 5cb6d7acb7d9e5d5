"""The dag-sync service: poll the shared repository, gate what changed, deploy what passed.

One round every `--interval` seconds (`deploy.sync_once`); after each round it touches
`deploy/heartbeat`, which is how the twin and Compose know it is alive. SIGTERM ends it
between rounds (or cuts a gate short: the gate's sandbox dies with it).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from pathlib import Path

from class_airflow.paths import ClassPaths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--interval", type=float, default=10)
    parser.add_argument("--gate-timeout", type=float, default=10)
    args = parser.parse_args(argv)
    paths = ClassPaths.default()
    roster_path = Path(os.environ["CLASS_ROSTER"])
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    beat = paths.deploy / "heartbeat"
    beat.parent.mkdir(parents=True, exist_ok=True)
    from class_airflow import deploy
    from class_airflow.errors import ClassError

    while not stop.is_set():
        began = time.monotonic()
        try:
            report = deploy.sync_once(paths, roster_path, gate_timeout=args.gate_timeout)
            for line in report.lines():
                print(line, flush=True)
        except ClassError as err:
            print(f"dag-sync: {err}", flush=True)
        beat.touch()
        stop.wait(max(0.0, args.interval - (time.monotonic() - began)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
