"""The taxi files a grading session makes once and hands to every sandbox's source."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from autograder.sandbox.source_files import SourceFiles, months_served
from autograder.scenarios import BACKFILL_MONTHS, PUBLIC, all_scenarios, plan
from taxi_source.generator import month_parquet_bytes

LATEST = "2025-06"


def test_the_files_a_correct_dag_downloads_in_the_whole_plan() -> None:
    served = months_served(all_scenarios(LATEST, PUBLIC), LATEST)
    # every backfill month clean, the broken month also with its broken rows; nothing for the
    # permanent failure (500) or the unpublished month (403)
    expected = {(m, 0) for m in BACKFILL_MONTHS} | {(PUBLIC.broken_month, PUBLIC.broken_rows)}
    assert served == expected


def test_a_partial_plan_gets_only_its_months() -> None:
    public_only = plan(LATEST, steps={"manual_no_logical_date"})
    assert months_served(public_only, LATEST) == set()  # a manual run has no logical month


def test_files_are_made_once_and_equal_what_the_source_would_make() -> None:
    files = SourceFiles(LATEST)
    scenarios = all_scenarios(LATEST, PUBLIC)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(files.for_scenarios, [scenarios] * 4))
    first = results[0]
    assert all(result.keys() == first.keys() for result in results)
    # the same objects every time: made once, by one thread
    assert all(result[key] is first[key] for result in results for key in first)
    month, broken = PUBLIC.broken_month, PUBLIC.broken_rows
    year, mon = (int(p) for p in month.split("-"))
    assert first[(month, broken)] == month_parquet_bytes(year, mon, broken_rows=broken)
    assert first[(month, broken)] != first[(month, 0)]
