"""The course's data source: synthetic NYC green-taxi months, served over HTTP like the TLC CDN."""

from taxi_source.generator import COLUMNS, month_file_name, month_parquet_bytes

__all__ = ["COLUMNS", "month_file_name", "month_parquet_bytes"]
