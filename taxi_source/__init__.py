"""The course's data source: synthetic NYC green-taxi months, served over HTTP like the TLC CDN."""

__all__ = ["COLUMNS", "month_file_name", "month_parquet_bytes"]


def __getattr__(name: str):
    # Loaded on first use: the generator imports pyarrow (and through it pandas), ~0.4 s that a
    # server handed its files ready-made (the grader's sandboxes) never needs to pay.
    if name in __all__:
        from taxi_source import generator

        return getattr(generator, name)
    raise AttributeError(f"module 'taxi_source' has no attribute {name!r}")
