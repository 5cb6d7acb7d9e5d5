"""A chapter's kernel that ran a DAG shuts down when asked, instead of being killed.

dbt starts multiprocessing's resource tracker, a child process that ignores SIGTERM; ipykernel
waited for it on every shutdown until the client gave up and killed the kernel (5 s per chapter,
and JupyterLab's "Shut Down Kernel" the same). The workbook stops the tracker when the shutdown
request arrives (`session._quick_exit`)."""

from __future__ import annotations

import psutil
import pytest
from jupyter_client import KernelManager

from tests.notebooks.harness import NOTEBOOKS, kernel_env

pytestmark = pytest.mark.slow

RUN_A_MONTH = """
from workbook.session import setup
wb = setup("05")
assert wb.run("taxi_pipeline", "2024-01-01").succeeded
"""


def test_a_kernel_that_ran_dbt_exits_on_its_own_with_no_child_left(tmp_path, taxi_source) -> None:
    env = kernel_env(tmp_path, taxi_source, None)
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel(env=env, cwd=str(NOTEBOOKS))
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=120)
        reply = client.execute_interactive(RUN_A_MONTH, timeout=300, output_hook=lambda _: None)
        assert reply["content"]["status"] == "ok", reply["content"]
        process = manager.provisioner.process
        children = psutil.Process(process.pid).children(recursive=True)
        assert any("resource_tracker" in " ".join(c.cmdline()) for c in children)  # dbt's
        manager.shutdown_kernel(now=False)  # as JupyterLab and nbclient ask
    finally:
        client.stop_channels()
        if manager.has_kernel:
            manager.shutdown_kernel(now=True)
    # 0: it exited by itself; -9 would be the client killing it after its 5 s wait
    assert process.wait(timeout=30) == 0
    assert not [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]
