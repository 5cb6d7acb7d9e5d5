"""The taxi source as a class service: the workbook's stand-in for the TLC CDN, in the foreground.

Unlike `workbook source serve` it can listen on any address (a container listens on
0.0.0.0) and its fault-injection endpoints need a token nobody is given: on a shared stack no
student can break the source for the others.
"""

from __future__ import annotations

import argparse
import secrets
import signal
import sys
import threading

from taxi_source.server import serve_in_thread


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--latest-month", default=None)
    args = parser.parse_args(argv)
    running = serve_in_thread(
        port=args.port,
        host=args.host,
        latest_month=args.latest_month,
        control_token=secrets.token_urlsafe(24),
    )
    print(f"taxi source on {args.host}:{running.port}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    running.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
