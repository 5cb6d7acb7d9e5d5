"""Code that runs INSIDE a submission's sandbox, next to the student's code. It trusts nothing.

Two processes run from here, both started by the parent side (`autograder.sandbox`) with
`python -m`, never imported by it:

    supervisor.py  the first process in the sandbox's namespaces; our code, keeps its
                   privileges: arranges the file system view (mounts.py), serves the taxi
                   source inside the namespace, starts the harness and relays commands
    harness.py     runs as an unprivileged user with rlimits; imports the student's DAG with
                   Airflow and runs it with `dag.test()` on command

The student's code runs in the harness's process, so whatever the harness says is a claim, not
a fact: the parent validates every answer (`autograder.sandbox.evidence`), reads the files the
runs left behind itself, and computes every score outside the sandbox. Nothing here imports the
parent side (`tests/autograder/test_layout.py` checks both directions), so no grading code,
answer key or score is ever loaded into a process the student's code can reach.
"""
