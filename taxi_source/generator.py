"""Deterministic synthetic green-taxi months with the real files' columns and warts.

The same month always gives the same bytes: rows come from a PRNG seeded with the month,
and the parquet writer is pinned to one row group, no statistics timestamps and a fixed
`created_by`. The warts are the ones a real TLC file has and a pipeline must survive:

* a few trips whose pickup falls in the previous or next month,
* a few trips whose dropoff is before their pickup,
* a few voided trips with negative fares,
* passenger counts (and other optional fields) left null by street-hail devices.
"""

from __future__ import annotations

import io
import random
from datetime import datetime, timedelta

import pyarrow as pa
import pyarrow.parquet as pq

# Column order and types follow the real green_tripdata_YYYY-MM.parquet files.
SCHEMA = pa.schema(
    [
        ("VendorID", pa.int32()),
        ("lpep_pickup_datetime", pa.timestamp("us")),
        ("lpep_dropoff_datetime", pa.timestamp("us")),
        ("store_and_fwd_flag", pa.string()),
        ("RatecodeID", pa.float64()),
        ("PULocationID", pa.int32()),
        ("DOLocationID", pa.int32()),
        ("passenger_count", pa.float64()),
        ("trip_distance", pa.float64()),
        ("fare_amount", pa.float64()),
        ("extra", pa.float64()),
        ("mta_tax", pa.float64()),
        ("tip_amount", pa.float64()),
        ("tolls_amount", pa.float64()),
        ("improvement_surcharge", pa.float64()),
        ("total_amount", pa.float64()),
        ("payment_type", pa.float64()),
        ("trip_type", pa.float64()),
        ("congestion_surcharge", pa.float64()),
    ]
)
COLUMNS: tuple[str, ...] = tuple(SCHEMA.names)

# Share of rows carrying each wart; small, like in the real files.
STRAY_MONTH_RATE = 0.004
REVERSED_TIMES_RATE = 0.003
NEGATIVE_FARE_RATE = 0.005
NULL_PASSENGERS_RATE = 0.02


def month_file_name(year: int, month: int) -> str:
    return f"green_tripdata_{year:04d}-{month:02d}.parquet"


def _month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    start = datetime(year, month, 1)
    end = datetime(year + (month == 12), month % 12 + 1, 1)
    return start, end


def _row_count(rng: random.Random, year: int, month: int) -> int:
    # A few thousand trips, a little busier in spring and autumn, different every month.
    seasonal = 1.0 + 0.15 * (month in (3, 4, 5, 9, 10))
    return int(rng.randint(2400, 3400) * seasonal)


def _trip(rng: random.Random, start: datetime, end: datetime) -> dict[str, object]:
    span = (end - start).total_seconds()
    pickup = start + timedelta(seconds=rng.randrange(int(span)))
    minutes = max(1.0, rng.lognormvariate(2.5, 0.6))
    distance = round(max(0.1, minutes * rng.uniform(0.12, 0.35)), 2)
    fare = round(3.0 + 2.5 * distance + 0.5 * minutes, 2)
    extra = rng.choice([0.0, 0.5, 1.0, 2.5])
    tip = round(fare * rng.choice([0.0, 0.0, 0.1, 0.15, 0.2]), 2)
    tolls = 6.94 if rng.random() < 0.03 else 0.0
    congestion = rng.choice([0.0, 0.0, 2.75])
    total = round(fare + extra + 0.5 + tip + tolls + 1.0 + congestion, 2)
    return {
        "VendorID": rng.choice([1, 2, 2, 2]),
        "lpep_pickup_datetime": pickup.replace(microsecond=0),
        "lpep_dropoff_datetime": (pickup + timedelta(minutes=minutes)).replace(microsecond=0),
        "store_and_fwd_flag": "Y" if rng.random() < 0.01 else "N",
        "RatecodeID": 1.0 if rng.random() < 0.95 else float(rng.choice([2, 3, 4, 5])),
        "PULocationID": rng.randint(1, 265),
        "DOLocationID": rng.randint(1, 265),
        "passenger_count": float(rng.choice([1, 1, 1, 1, 2, 2, 3, 5])),
        "trip_distance": distance,
        "fare_amount": fare,
        "extra": extra,
        "mta_tax": 0.5,
        "tip_amount": tip,
        "tolls_amount": tolls,
        "improvement_surcharge": 1.0,
        "total_amount": total,
        "payment_type": float(rng.choice([1, 1, 1, 2, 2, 3, 4])),
        "trip_type": 1.0 if rng.random() < 0.97 else 2.0,
        "congestion_surcharge": congestion,
    }


def _add_warts(rng: random.Random, trip: dict[str, object], start: datetime, end: datetime) -> None:
    roll = rng.random()
    if roll < STRAY_MONTH_RATE:
        # The meter's clock says last/next month: the file still contains the trip.
        shift = -timedelta(hours=rng.randint(1, 30)) if rng.random() < 0.5 else None
        pickup = start + shift if shift else end + timedelta(hours=rng.randint(0, 30))
        duration = trip["lpep_dropoff_datetime"] - trip["lpep_pickup_datetime"]  # type: ignore[operator]
        trip["lpep_pickup_datetime"] = pickup
        trip["lpep_dropoff_datetime"] = pickup + duration
    elif roll < STRAY_MONTH_RATE + REVERSED_TIMES_RATE:
        trip["lpep_dropoff_datetime"] = trip["lpep_pickup_datetime"] - timedelta(  # type: ignore[operator]
            minutes=rng.randint(1, 90)
        )
    elif roll < STRAY_MONTH_RATE + REVERSED_TIMES_RATE + NEGATIVE_FARE_RATE:
        for money in ("fare_amount", "extra", "mta_tax", "tip_amount", "total_amount"):
            trip[money] = -abs(trip[money])  # type: ignore[arg-type]
        trip["payment_type"] = 4.0  # "dispute": how voided trips show up
    if rng.random() < NULL_PASSENGERS_RATE:
        for optional in (
            "passenger_count",
            "RatecodeID",
            "store_and_fwd_flag",
            "payment_type",
            "trip_type",
        ):
            trip[optional] = None
        trip["congestion_surcharge"] = None


def _broken_trip(rng: random.Random, start: datetime, end: datetime) -> dict[str, object]:
    """A row no cleaning rule expects: the kind of bad data `dbt test` must stop."""
    trip = _trip(rng, start, end)
    trip["VendorID"] = None
    trip["payment_type"] = 99.0
    return trip


def month_rows(year: int, month: int, broken_rows: int = 0) -> list[dict[str, object]]:
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1..12, got {month}")
    rng = random.Random(f"green-{year:04d}-{month:02d}")
    start, end = _month_bounds(year, month)
    rows = []
    for _ in range(_row_count(rng, year, month)):
        trip = _trip(rng, start, end)
        _add_warts(rng, trip, start, end)
        rows.append(trip)
    broken_rng = random.Random(f"broken-{year:04d}-{month:02d}")
    rows.extend(_broken_trip(broken_rng, start, end) for _ in range(broken_rows))
    rows.sort(key=lambda r: r["lpep_pickup_datetime"])  # type: ignore[arg-type, return-value]
    return rows


def month_parquet_bytes(year: int, month: int, broken_rows: int = 0) -> bytes:
    table = pa.Table.from_pylist(month_rows(year, month, broken_rows), schema=SCHEMA)
    buffer = io.BytesIO()
    pq.write_table(
        table,
        buffer,
        row_group_size=len(table) or 1,
        compression="snappy",
        write_statistics=True,
        store_schema=False,
    )
    return buffer.getvalue()
