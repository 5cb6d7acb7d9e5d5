"""The course's Airflow settings under the name the assignment notebook and older scripts use
(`from workbook import airflow_env`). They live in the shared package `airflow_env.settings`.
"""

from airflow_env.settings import configure, ensure_db

__all__ = ["configure", "ensure_db"]
