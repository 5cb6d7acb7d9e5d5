"""The parent side of the sandbox: run one submission in a sandbox of its own and bring back
evidence the grader can trust. Everything here runs in the grader's processes.

Per submission: a fresh folder (Airflow home from a template DB, the course's dbt project, a
copy of the submission's `dags/`, a warehouse folder that is emptied between scenarios), then

    unshare --net --pid --mount --ipc --uts --fork --kill-child --mount-proc
        python -m autograder.inside.supervisor     (our supervisor, keeps its privileges)
            python -m autograder.inside.harness    (runs the student's DAG, unprivileged)

The code in `autograder.inside` runs in the sandbox; nothing here imports it.

    isolation.py    what this host supports (namespaces, root, user ids) and what a sandbox sees
    environment.py  the environment a sandbox gets: Airflow settings and the submission contract
    session.py      one submission's sandbox: its folder, its supervisor, the timeouts, and
                    copying each step's files out
    runner.py       a grading session's sandboxes, and one submission's scenarios in order
    evidence.py     what comes back, validated: the DAG snapshot, run reports, probe results
    probe.py        reads the copied warehouses and metadata DBs in a process of its own
    template_db.py  the empty Airflow metadata DB every sandbox starts from
    source_files.py the taxi months every sandbox's source serves, made once per session

When the grader runs as root the harness gets its own user id (61000 and up, one per
concurrently running sandbox, so the process limit of one sandbox cannot starve another). As a
normal user `unshare --map-root-user` gives the same namespaces without the separate user id.
Without namespaces (no `unshare`, or user namespaces switched off) grading is refused with what
the host lacks and how to get it; only `isolation="none"`, asked for by name, runs plain
subprocesses (and says so in every summary and result).

After each step the parent copies the warehouse, the notifications file and the metadata DB out
of the sandbox (no symlinks followed, size-capped) into a folder only it can read; the probe
reads them in a separate process at the end. Scores are computed from that, never from what the
harness says about itself.
"""
