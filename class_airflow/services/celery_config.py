"""Celery configuration of the class workers: Airflow's own, plus a warm start for tasks.

Airflow forks every task from the worker's pool process, so a module imported here is already
imported in every task. Each student's `dbt_run` and `dbt_test` would otherwise spend ~2.5 s
of CPU importing dbt, 40 times for a class of 20; pyarrow and psycopg2 serve the ingest task.
Only the workers use this (`AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS` in their environment).
"""

from __future__ import annotations

import dbt.cli.main  # noqa: F401 - imported for the tasks forked from this process
import psycopg2  # noqa: F401
import pyarrow.parquet  # noqa: F401
from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG

CELERY_CONFIG = DEFAULT_CELERY_CONFIG
