"""Entry points of the class stack's own services (run as `python -m class_airflow.services.X`)."""
