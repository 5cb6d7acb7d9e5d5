"""What feedback quotes from a sandbox's logs: the sandbox's folder is shown as <sandbox>,
whichever way the log names it, so a student's feedback does not change from run to run."""

from __future__ import annotations

import tempfile

from autograder.checks.logs import clean_log

TMP = tempfile.gettempdir()


def test_the_sandbox_folder_is_shown_the_same_way_in_every_session() -> None:
    inside = f'File "{TMP}/autograder-0olpft61/sandbox/submission/dags/taxi_pipeline.py", line 42'
    host = f'File "{TMP}/autograder-9xmsrhli/s-k2j_x8a1/submission/dags/taxi_pipeline.py", line 42'
    in_memory = (
        'File "/dev/shm/autograder-9xmsrhli/s-k2j_x8a1/submission/dags/taxi_pipeline.py", line 42'
    )
    expected = 'File "<sandbox>/submission/dags/taxi_pipeline.py", line 42'
    assert clean_log(inside) == clean_log(host) == clean_log(in_memory) == expected


def test_other_paths_are_left_alone() -> None:
    text = f"{TMP}/autograder-uids/61003 and /opt/airflow/dags/taxi_pipeline.py"
    assert clean_log(text) == text
