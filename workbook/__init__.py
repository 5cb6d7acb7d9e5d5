"""Student-side helpers for the Week 11 workbook: local Airflow, the taxi source, the quiz."""

__version__ = "0.1.0"
