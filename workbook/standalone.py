"""`airflow standalone` that brings back a component which dies while it runs.

Airflow's standalone starts the api-server, scheduler, dag-processor and triggerer once and
never looks at them again: when one crashes, the rest keep serving and the UI shows runs that
never start. On SQLite that happens for real. The scheduler of Airflow 3.3 exits on an
`ObjectDeletedError` when the api-server, after a "database is locked" error, deletes the runs
of a half-created backfill that the scheduler was already scheduling. A student sees the
crash in the terminal, and here the component starts again.

Run by `workbook ui` as `python -m workbook.standalone`.
"""

from __future__ import annotations

import contextlib
import signal

from airflow.cli.commands.standalone_command import StandaloneCommand, SubCommand

# A component that keeps dying has a problem a restart does not fix; stop trying after this.
MOST_RESTARTS = 5
# How a component ends when it is asked to stop: that is not a crash.
ASKED_TO_STOP = {0, -signal.SIGTERM, -signal.SIGINT}


class SupervisedStandalone(StandaloneCommand):
    def __init__(self) -> None:
        super().__init__()
        self.restarts: dict[str, int] = {}
        self.stopping = False

    def update_output(self) -> None:
        # Called by standalone's main loop every 0.1 s: the one place to look after components.
        super().update_output()
        if not self.stopping:
            for name, component in list(self.subcommands.items()):
                # The process, not the thread that reads its output: a killed scheduler's
                # LocalExecutor workers outlive it and keep that output open.
                if component.process is not None and component.process.poll() is not None:
                    self._bring_back(name, component)

    def _bring_back(self, name: str, component: SubCommand) -> None:
        code = component.process.returncode
        restart = self.restarts.get(name, 0) + 1
        if code in ASKED_TO_STOP or restart > MOST_RESTARTS:
            return
        self.restarts[name] = restart
        self.print_error(
            name,
            f"stopped unexpectedly (exit code {code}); starting it again "
            f"(restart {restart} of at most {MOST_RESTARTS}). What it printed last is above.",
        )
        if restart == MOST_RESTARTS:
            self.print_error(
                name,
                "that was the last restart: if it stops again, stop `make ui` (Ctrl-C), read "
                "its error above and start `make ui` again",
            )
        replacement = SubCommand(self, name=name, command=component.command, env=component.env)
        self.subcommands[name] = replacement
        replacement.start()


def main() -> None:
    from airflow.configuration import write_default_airflow_configuration_if_needed

    write_default_airflow_configuration_if_needed()  # what `airflow <command>` does first
    standalone = SupervisedStandalone()

    def stop(*_: object) -> None:
        # `workbook ui` stops with SIGTERM to the whole session: components stopping then are
        # not crashes. standalone's own shutdown runs on KeyboardInterrupt, once.
        if not standalone.stopping:
            standalone.stopping = True
            raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    # Stopped while still preparing the database: nothing to tidy up, no traceback to show.
    with contextlib.suppress(KeyboardInterrupt):
        standalone.run()


if __name__ == "__main__":
    main()
