"""The class Airflow: one shared Airflow 3 deployment for a whole class (teacher side).

One declaration of the stack (`stack.py`) is rendered two ways: `class/compose.yaml` for a
teacher's VM with Docker (`compose.py`) and a no-Docker twin of processes on loopback
(`twin/`). On top of it: the roster (`roster.py`) and what each student gets from it
(`provision.py`, `credentials.py`), the shared DAG repository (`shared_repo.py`), the gate
that every change passes before it reaches the scheduler (`gate/`), the deploy loop
(`deploy.py`), and the teacher's status views (`status.py`, `reporters/`). The `class`
command (`cli.py`) only parses arguments and calls these.
"""
