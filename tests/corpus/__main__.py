"""`python -m tests.corpus OUT [NAME ...]`: write the corpus (or the named submissions) to OUT."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tests.corpus import build_corpus


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path, help="a folder that does not hold these names yet")
    parser.add_argument("names", nargs="*", help="submissions to write (default: all)")
    args = parser.parse_args()
    try:
        build_corpus(args.out, args.names or None)
    except (KeyError, FileExistsError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
