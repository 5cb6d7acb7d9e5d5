"""The course-template profile's sandbox (issue #13): a template submission runs unchanged.

Parent side. On top of the plain sandbox (`session.Sandbox`) a template sandbox gets
- the `azure_pg` Airflow connection (AIRFLOW_CONN_AZURE_PG) to its own database and role on the
  session's PostgreSQL server (`warehouse_pg`), whose socket folder is bound in read-only;
- the TLC's CDN host name on loopback with HTTPS from a throwaway CA it trusts (the supervisor
  mounts the hosts file and serves the taxi source on port 443; `autograder.inside.cdn`);
- a `uvx` first on its PATH that runs the installed dbt, on the student's project or the
  course's (`autograder.profiles.dbt_project`), with Astro paths moved to the submission.
After each step the student's schema is copied into a DuckDB file where the probe reads it.
"""

from __future__ import annotations

import threading
from pathlib import Path

from autograder.profiles import choose_profile
from autograder.profiles.cdn import (
    CDN_PORT,
    CdnCertificates,
    hosts_text,
    make_certificates,
    trust_env,
)
from autograder.profiles.dbt_project import DbtProjectChoice, choose_dbt_project
from autograder.profiles.uvx_shim import write_shim
from autograder.sandbox.session import Sandbox, Workspace
from autograder.sandbox.warehouse_pg import PostgresService, Tenant
from autograder.scenarios import Step
from autograder.submission import Submission


class TemplateServices:
    """What every template sandbox of a grading session shares: the PostgreSQL server and the
    CDN's certificates. Started on first use, stopped with the session."""

    def __init__(self, root: Path, private: Path) -> None:
        self.root, self.private = root, private
        self._lock = threading.Lock()
        self.postgres: PostgresService | None = None
        self.certs: CdnCertificates | None = None

    def ready(self) -> tuple[PostgresService, CdnCertificates]:
        with self._lock:
            if self.certs is None:
                self.certs = make_certificates(self.root / "cdn", self.private / "cdn")
            if self.postgres is None:
                service = PostgresService(self.root / "pg")
                service.start()
                self.postgres = service
            return self.postgres, self.certs

    def close(self) -> None:
        with self._lock:
            if self.postgres is not None:
                self.postgres.close()
                self.postgres = None


class TemplateSandbox(Sandbox):
    """A plain sandbox plus the template's connection, CDN, `uvx` and Astro paths."""

    warehouse_engine = "postgres"
    profile = "template"

    def __init__(
        self,
        submission: Submission,
        workspace: Workspace,
        uid: int | None,
        services: TemplateServices,
        dbt: DbtProjectChoice,
    ) -> None:
        super().__init__(submission, workspace, uid)
        self.postgres, self.certs = services.ready()
        self.dbt = dbt
        self.tenant: Tenant = self.postgres.new_tenant()

    def prepare(self) -> None:
        super().prepare()
        write_shim(self.dir / "bin")
        (self.dir / "hosts").write_text(hosts_text())
        (self.dir / "ca.pem").write_bytes(self.certs.ca_file.read_bytes())
        for path in (self.dir / "bin", self.dir / "bin" / "uvx", self.dir / "hosts"):
            path.chmod(0o755 if path.is_dir() or path.name == "uvx" else 0o644)
        (self.dir / "ca.pem").chmod(0o644)

    def contract(self, warehouse: str) -> dict[str, str]:
        env = super().contract(warehouse)
        env.update(trust_env(self.inside / "ca.pem"))
        env["AIRFLOW_CONN_AZURE_PG"] = self.postgres.connection_uri(self.tenant)
        env["AUTOGRADER_ASTRO_ROOT"] = str(self.inside / "submission")
        if not self.dbt.own:
            env["AUTOGRADER_DBT_PROJECT"] = str(self.inside / "dbt")
        return env

    def extra_setup(self, setup: dict) -> None:
        env = setup["harness_env"]
        env["PATH"] = f"{self.inside / 'bin'}:{env['PATH']}"
        if setup.get("mount_plan"):
            setup["mount_plan"]["keep_ro"].append(str(self.postgres.socket_dir))
            setup["cdn"] = {
                "cert": str(self.certs.cert_file),
                "key": str(self.certs.key_file),
                "hosts": str(self.inside / "hosts"),
                "port": CDN_PORT,
            }

    def fresh_warehouse(self, name: str) -> None:
        super().fresh_warehouse(name)
        self.postgres.reset_schema(self.tenant)

    def collect(self, step: Step, folder: str, warehouse: bool = True) -> dict[str, str | None]:
        copied = super().collect(step, folder, warehouse)
        if not warehouse:
            return copied
        target = self.evidence_dir / step.id / "taxi.duckdb"
        try:
            self.postgres.export_schema(self.tenant, target)
            copied["warehouse"], copied["wal"] = str(target), None
        except Exception:  # noqa: BLE001 - an unreadable schema is "no warehouse", not a crash
            copied["warehouse"] = None
        return copied

    def cleanup(self) -> None:
        super().cleanup()
        self.postgres.drop_tenant(self.tenant)


def make_sandbox(
    submission: Submission, workspace: Workspace, uid: int | None, services: TemplateServices
) -> tuple[Sandbox, list[str]]:
    """The sandbox for `submission` under the session's profile, and the notes for its
    feedback (which profile, detected or asked for; which dbt project, and why)."""
    options = workspace.options
    choice = choose_profile(options.profile, submission.files, submission.read_text)
    if choice.profile != "template":
        return Sandbox(submission, workspace, uid), []
    dbt = choose_dbt_project(submission.files, submission.read_text)
    notes = [choice.note, dbt.note]
    if not workspace.isolation.namespaces:
        notes.append(
            "without sandbox namespaces (--isolation none) the CDN's host name cannot be "
            "pointed at the local taxi source, so the download from the CDN URL fails"
        )
    return TemplateSandbox(submission, workspace, uid, services, dbt), notes
