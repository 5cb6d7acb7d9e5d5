"""`dag.test()` without parsing and writing the unchanged DAG folder again before every run.

Before each run, Airflow 3.3's `dag.test()` syncs the DAG's bundle to the metadata DB again
(apache/airflow#64884): it parses the whole DAG folder into a new `BundleDagBag`, importing the
student's files once more, and `sync_bag_to_db` serialises every DAG, compares it with the DB's
and updates the DAG's row. The grader makes ~20 runs of one folder against one metadata DB; from
the second run on, that sync finds nothing new to write.

`reusing_parse()` (around one `dag.test()` call) hands back the bag the last call parsed while
none of the files Airflow would parse changed (the same list, sizes and modification times),
and skips `sync_bag_to_db` for a bag whose sync already succeeded. A changed folder (a task that
writes a DAG file) is parsed and synced as before. What runs is unchanged: `dag.test()` always
runs the DAG object the harness parsed before the first run, never the re-parsed copy.
A real Airflow deployment parses in its DAG processor, apart from the runs, as this does.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass
class _Parsed:
    stamp: tuple
    bag: Any
    synced: tuple | None = None  # (bundle name, version) the bag was written to the DB with


_parsed: dict[tuple, _Parsed] = {}  # (folder, bundle path, bundle name) -> the last parse


def _stamp(folder: str) -> tuple | None:
    """The files Airflow parses in `folder`, with their sizes and modification times."""
    try:
        from airflow.configuration import conf
        from airflow.dag_processing.importers import get_importer_registry

        safe_mode = conf.getboolean("core", "DAG_DISCOVERY_SAFE_MODE")
        files = get_importer_registry().list_dag_files(folder, safe_mode=safe_mode)
        paths = sorted(str(path) for path in files)
        return tuple((path, (st := os.stat(path)).st_size, st.st_mtime_ns) for path in paths)
    except Exception:  # noqa: BLE001 - another Airflow: parse as it always does
        return None


@contextlib.contextmanager
def reusing_parse() -> Iterator[None]:
    """Within this block, an unchanged DAG folder is neither parsed nor synced again."""
    from airflow.dag_processing import dagbag

    parse, sync = dagbag.BundleDagBag, dagbag.sync_bag_to_db

    def bundle_bag(*args: Any, **kwargs: Any) -> Any:
        # Only the call dag.test() makes is reused; any other is Airflow's own.
        if args or set(kwargs) != {"dag_folder", "bundle_path", "bundle_name"}:
            return parse(*args, **kwargs)
        folder = str(kwargs["dag_folder"])
        key = (folder, str(kwargs["bundle_path"]), kwargs["bundle_name"])
        stamp, kept = _stamp(folder), _parsed.get(key)
        if stamp is not None and kept is not None and kept.stamp == stamp:
            return kept.bag
        bag = parse(**kwargs)
        if stamp is not None and not bag.import_errors:
            _parsed[key] = _Parsed(stamp, bag)
        return bag

    def sync_bag(bag: Any, *args: Any, **kwargs: Any) -> None:
        kept = next((p for p in _parsed.values() if p.bag is bag), None)
        if kept is None or kwargs or len(args) != 2:
            return sync(bag, *args, **kwargs)
        if kept.synced != args:  # (bundle name, version)
            sync(bag, *args)
            kept.synced = args
        return None

    dagbag.BundleDagBag, dagbag.sync_bag_to_db = bundle_bag, sync_bag
    try:
        yield
    finally:
        dagbag.BundleDagBag, dagbag.sync_bag_to_db = parse, sync
