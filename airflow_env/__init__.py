"""The course's Airflow environment, shared by the workbook, the autograder's sandbox and the
Makefile: one set of settings (`airflow_env.settings`) and one way to clean Airflow's logs for
people (`airflow_env.logs`).

This package imports only the standard library, so the Makefile can read the settings with the
system Python before the virtual environment exists (`python -m airflow_env`).
"""
