"""The handle a notebook holds on the running lab: ``lab = Lab.connect()``.

It removes boilerplate only: finding the stack, logging in, running an ``airflow``
command with the lab's configuration, reading a table, switching an API fault on
and off, waiting by polling. Every method prints or returns the Airflow-level
thing (the command, the REST path, the SQL), so the notebook still teaches Airflow.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from airflow_lab import db
from airflow_lab.api import AirflowApi
from airflow_lab.credentials import Credentials, load_credentials
from airflow_lab.errors import LabError, StackDownError
from airflow_lab.settings import DAG_ID, Settings, load_settings
from airflow_lab.stack import airflow_cli, status


@dataclass
class CommandResult:
    """What an ``airflow ...`` command printed, with its exit code."""

    command: str
    returncode: int
    output: str

    def tail(self, lines: int = 15) -> str:
        return "\n".join(self.output.strip().splitlines()[-lines:])

    def grep(self, *words: str) -> list[str]:
        """The output lines that contain any of ``words`` (case-insensitive)."""
        wanted = [w.lower() for w in words]
        return [line for line in self.output.splitlines() if any(w in line.lower() for w in wanted)]

    def __repr__(self) -> str:
        return f"$ {self.command}\n(exit {self.returncode})\n{self.tail()}"


class Lab:
    """One running lab stack, as seen from a notebook."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.api = AirflowApi(settings)

    # ---- connecting ----
    @classmethod
    def connect(cls, home: str | None = None, *, quiet: bool = False) -> Lab:
        """Find the stack (``home`` overrides ``AIRFLOW_LAB_HOME``) and check it is healthy."""
        overrides = {"home": Path(home).expanduser().resolve()} if home else {}
        settings = load_settings(**overrides)
        rows = status(settings) if settings.secrets_file.exists() else []
        if not rows:
            raise StackDownError(f"the lab stack at {settings.home}")
        sick = [r.name for r in rows if not r.healthy]
        if sick:
            raise LabError(f"unhealthy services: {', '.join(sick)}",
                           hint="run `airflow-lab status`, then `airflow-lab up`")
        lab = cls(settings)
        if not quiet:
            from importlib.metadata import version

            print(f"lab stack: {len(rows)} services healthy | Airflow {version('apache-airflow')}"
                  f" | UI {settings.api_url}")
        return lab

    @property
    def credentials(self) -> Credentials:
        return load_credentials(self.settings, create=False)

    @property
    def login(self) -> str:
        """How to log in to the UI, without printing the password itself."""
        return f"user 'admin', password in {self.settings.passwords_file}"

    # ---- Airflow's own interfaces ----
    def airflow(self, *args: str, timeout: float = 300, check: bool = False) -> CommandResult:
        """Run ``airflow <args>`` with this lab's configuration; print nothing, return the result."""
        proc = airflow_cli(self.settings, self.credentials, *args, timeout=timeout)
        result = CommandResult("airflow " + shlex.join(args), proc.returncode, proc.stdout + proc.stderr)
        if check and proc.returncode != 0:
            raise LabError(f"`{result.command}` exited {proc.returncode}", hint=result.tail(5))
        return result

    def python(self, code: str, timeout: float = 300) -> CommandResult:
        """Run ``python -c code`` in a new process with this lab's Airflow environment.

        For trying Airflow imports (e.g. a name Airflow 3 removed) without importing
        Airflow into the notebook's kernel; prints nothing, returns the result.
        """
        from airflow_lab.config import airflow_env, venv_bin

        env = {**os.environ, **airflow_env(self.settings, self.credentials)}
        proc = subprocess.run([str(venv_bin() / "python"), "-c", code], env=env, capture_output=True,
                              text=True, timeout=timeout, check=False)
        return CommandResult(f"python -c {shlex.quote(code)}", proc.returncode, proc.stdout + proc.stderr)

    def sql(self, query: str, params: Any = None, *, database: str = "nft"):
        """Run a read query on the ``nft`` database or the ``airflow`` metastore; a DataFrame."""
        return db.query(query, params, database=database, settings=self.settings)

    def execute(self, statement: str, params: Any = None, *, database: str = "nft") -> None:
        db.execute(statement, params, database=database, settings=self.settings)

    def nfts(self):
        """The pipeline's ``nfts`` table (empty if it does not exist yet)."""
        return db.nft_rows(self.settings)

    # ---- the NFT API ----
    def nft_api(self, path: str, *, key: bool = True, **params: Any) -> requests.Response:
        """GET a path of the local NFT API, with the lab's API key unless ``key=False``."""
        headers = {"x-api-key": self.credentials.nft_api_key} if key else {}
        return requests.get(f"{self.settings.nft_api_url}{path}", params=params or None,
                            headers=headers, timeout=30)

    def set_fault(self, kind: str, count: int | None = None, **options: Any) -> dict:
        body = {"kind": kind, "count": count, **options}
        resp = requests.post(f"{self.settings.nft_api_url}/admin/faults", json=body,
                             headers={"x-api-key": self.credentials.nft_api_key}, timeout=10)
        resp.raise_for_status()
        return resp.json()

    def clear_faults(self) -> None:
        requests.delete(f"{self.settings.nft_api_url}/admin/faults",
                        headers={"x-api-key": self.credentials.nft_api_key}, timeout=10).raise_for_status()

    @contextlib.contextmanager
    def fault(self, kind: str, count: int | None = None, **options: Any) -> Iterator[dict]:
        """Make the NFT API misbehave inside a ``with`` block, and always recover after."""
        state = self.set_fault(kind, count, **options)
        try:
            yield state
        finally:
            self.clear_faults()

    # ---- DAGs and runs ----
    def write_dag(self, filename: str, source: str, dag_id: str | None = None,
                  timeout: float = 90) -> float:
        """Put a DAG file in the lab's own DAG folder; wait until Airflow parsed it.

        Returns the seconds from writing the file to the DAG (or its import error)
        appearing in the metastore. ``dag_id=None`` waits for an import error instead.
        """
        path = self.settings.learner_dags / filename
        path.write_text(source)
        t0 = time.monotonic()
        deadline = t0 + timeout
        while time.monotonic() < deadline:
            if dag_id and self.api.dag_exists(dag_id):
                return time.monotonic() - t0
            if dag_id is None and any(e["filename"].endswith(filename) for e in self.api.import_errors()):
                return time.monotonic() - t0
            time.sleep(0.5)
        raise LabError(f"{filename} was not parsed within {timeout:.0f} s",
                       hint="check `airflow-lab logs dag-processor`")

    def remove_dag(self, filename: str) -> None:
        (self.settings.learner_dags / filename).unlink(missing_ok=True)

    def run(self, dag_id: str = DAG_ID, conf: dict | None = None, logical_date: str | None = None,
            timeout: float = 180) -> dict:
        """Unpause, trigger through the REST API, and poll until the run ends."""
        return self.api.run_dag(dag_id, logical_date, conf, timeout)

    def task_instances(self, run_id: str, dag_id: str = DAG_ID):
        """The metastore's rows for one run's task instances (a DataFrame)."""
        return db.task_instances(dag_id, run_id, self.settings)

    def reset_nfts(self) -> None:
        """Drop the pipeline's table so an exercise starts from nothing."""
        self.execute("DROP TABLE IF EXISTS nfts")


def connect(home: str | None = None, quiet: bool = False) -> Lab:
    """Shorthand for :meth:`Lab.connect`."""
    return Lab.connect(home, quiet=quiet)


def run_shell(command: str, timeout: float = 120) -> CommandResult:
    """Run a shell command (e.g. ``ruff check``) the way a learner would type it."""
    proc = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=timeout,
                          check=False)
    return CommandResult(command, proc.returncode, proc.stdout + proc.stderr)
