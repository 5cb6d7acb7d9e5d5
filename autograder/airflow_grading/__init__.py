"""Grading a class on Airflow: the `grade_assignment` DAG (`dags/`) and the work of its tasks
(`tasks.py`), which call the same grading code and reporters as `autograder grade`.

The DAG folder is a DAG bundle of the class Airflow (class_airflow/stack.py); its grading tasks
go to the Celery queue `grading`, served by the stack's grading workers or by any machine that
runs `airflow celery worker -q grading` from this checkout.
"""
