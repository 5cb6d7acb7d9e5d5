"""The synthetic TLC source: deterministic files with the real columns and warts."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import date

import pyarrow.parquet as pq
import pytest

from taxi_source.generator import COLUMNS, month_parquet_bytes, month_rows
from taxi_source.server import (
    default_latest_month,
    files_from_json,
    files_to_json,
    serve_in_thread,
)

REAL_COLUMNS = [
    "VendorID",
    "lpep_pickup_datetime",
    "lpep_dropoff_datetime",
    "store_and_fwd_flag",
    "RatecodeID",
    "PULocationID",
    "DOLocationID",
    "passenger_count",
    "trip_distance",
    "fare_amount",
    "extra",
    "mta_tax",
    "tip_amount",
    "tolls_amount",
    "improvement_surcharge",
    "total_amount",
    "payment_type",
    "trip_type",
    "congestion_surcharge",
]


def _get(url: str, headers: dict | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def test_columns_are_the_real_files_columns() -> None:
    assert list(COLUMNS) == REAL_COLUMNS
    table = pq.read_table(io.BytesIO(month_parquet_bytes(2024, 2)))
    assert table.column_names == REAL_COLUMNS


def test_same_month_is_byte_identical_across_processes() -> None:
    here = hashlib.sha256(month_parquet_bytes(2024, 3)).hexdigest()
    code = (
        "import hashlib; from taxi_source.generator import month_parquet_bytes as m; "
        "print(hashlib.sha256(m(2024, 3)).hexdigest())"
    )
    there = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert there.stdout.strip() == here
    assert hashlib.sha256(month_parquet_bytes(2024, 4)).hexdigest() != here


def test_each_month_has_a_few_thousand_rows_and_every_wart() -> None:
    rows = month_rows(2024, 1)
    assert 2000 <= len(rows) <= 5000
    outside = [r for r in rows if r["lpep_pickup_datetime"].month != 1]
    reversed_times = [r for r in rows if r["lpep_dropoff_datetime"] < r["lpep_pickup_datetime"]]
    negative = [r for r in rows if r["fare_amount"] < 0]
    no_passengers = [r for r in rows if r["passenger_count"] is None]
    for wart in (outside, reversed_times, negative, no_passengers):
        assert 0 < len(wart) < len(rows) * 0.05


def test_broken_rows_are_added_on_top_of_the_month() -> None:
    clean, broken = month_rows(2024, 1), month_rows(2024, 1, broken_rows=4)
    assert len(broken) == len(clean) + 4
    assert sum(1 for r in broken if r["VendorID"] is None) == 4


def test_latest_published_month_lags_two_months() -> None:
    assert default_latest_month(date(2026, 11, 26)) == "2026-09"
    assert default_latest_month(date(2026, 2, 1)) == "2025-12"


def test_source_serves_published_months_and_refuses_the_rest(taxi_source) -> None:
    base = taxi_source.base_url
    status, body = _get(f"{base}/green_tripdata_2024-01.parquet")
    assert status == 200 and body == month_parquet_bytes(2024, 1)
    assert _get(f"{base}/green_tripdata_2025-07.parquet")[0] == 403  # after LATEST_PUBLISHED
    assert _get(f"{base}/green_tripdata_2013-12.parquet")[0] == 404  # before green taxis
    assert _get(f"{base}/yellow_tripdata_2024-01.parquet")[0] == 404


def test_transient_faults_answer_503_then_recover(taxi_source) -> None:
    taxi_source.set_faults({"2024-02": {"transient": 2}})
    url = f"{taxi_source.base_url}/green_tripdata_2024-02.parquet"
    assert [_get(url)[0] for _ in range(3)] == [503, 503, 200]
    assert [r["status"] for r in taxi_source.requests("2024-02")] == [503, 503, 200]


def test_permanent_fault_and_broken_rows(taxi_source) -> None:
    taxi_source.set_faults({"2024-03": {"permanent": True}, "2024-04": {"broken_rows": 3}})
    assert _get(f"{taxi_source.base_url}/green_tripdata_2024-03.parquet")[0] == 500
    status, body = _get(f"{taxi_source.base_url}/green_tripdata_2024-04.parquet")
    assert (
        status == 200 and pq.read_table(io.BytesIO(body)).num_rows == len(month_rows(2024, 4)) + 3
    )


@pytest.mark.parametrize(
    "faults, message",
    [
        ({"2024-13": {"transient": 1}}, "is not a month"),
        ({"2024-01": {"flaky": 1}}, "unknown fault"),
        ({"2024-01": {"transient": -1}}, "must not be negative"),
        ({"2024-01": 3}, "must be an object"),
    ],
    ids=["bad-month", "unknown-fault", "negative", "not-an-object"],
)
def test_bad_fault_schedules_are_rejected_with_a_reason(taxi_source, faults, message) -> None:
    request = urllib.request.Request(
        taxi_source.base_url.replace("/trip-data", "/_control/faults"),
        data=json.dumps(faults).encode(),
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=5)
    assert raised.value.code == 400
    assert message in json.loads(raised.value.read())["error"]


def test_control_endpoints_need_the_token_when_one_is_set() -> None:
    source = serve_in_thread(control_token="s3cret", faults={"2024-01": {"transient": 5}})
    try:
        control = source.base_url.replace("/trip-data", "/_control/faults")
        assert _get(control)[0] == 403
        status, body = _get(control, {"X-Control-Token": "s3cret"})
        assert status == 200 and json.loads(body)["2024-01"]["transient"] == 5
    finally:
        source.stop()


def test_preloaded_files_are_served_as_given_and_other_months_are_made() -> None:
    # Distinct bytes prove the server answers from the preloaded file, not by making it again.
    files = {("2024-02", 0): b"made earlier", ("2024-02", 3): b"made earlier, broken"}
    source = serve_in_thread(
        latest_month="2024-06",
        faults={"2024-03": {"broken_rows": 3}},
        files=files_from_json(files_to_json(files)),
    )
    try:
        base = source.base_url
        assert _get(f"{base}/green_tripdata_2024-02.parquet") == (200, b"made earlier")
        assert _get(f"{base}/green_tripdata_2024-01.parquet") == (200, month_parquet_bytes(2024, 1))
        # broken rows are keyed by count: the March file with 3 was not preloaded, so it is made
        status, body = _get(f"{base}/green_tripdata_2024-03.parquet")
        assert status == 200 and body == month_parquet_bytes(2024, 3, broken_rows=3)
    finally:
        source.stop()


def test_malformed_preloaded_files_are_skipped() -> None:
    good = files_to_json({("2024-01", 0): b"ok"})
    raw = [*good, {"month": "2024-02"}, {"month": "2024-03", "broken_rows": 0, "base64": "%%"}]
    assert files_from_json(raw) == {("2024-01", 0): b"ok"}
    assert files_from_json("not a list") == {}


def test_the_server_loads_pyarrow_only_to_make_a_file() -> None:
    code = (
        "import sys\n"
        "from taxi_source.server import serve_in_thread\n"
        "source = serve_in_thread(files={('2024-01', 0): b'x'})\n"
        "import urllib.request\n"
        "urllib.request.urlopen(source.base_url + '/green_tripdata_2024-01.parquet').read()\n"
        "print('pyarrow' in sys.modules)\n"
        "urllib.request.urlopen(source.base_url + '/green_tripdata_2024-02.parquet').read()\n"
        "print('pyarrow' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]
