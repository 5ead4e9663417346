"""The handle a notebook holds on the running lab: ``lab = Lab.connect()``.

Its one job is to connect a notebook to the stack and to Airflow's own interfaces:
the settings, the REST API (``lab.api``), SQL on the metastore and the ``nft``
database, and the ``airflow`` command line. It hands out the helpers that have
homes of their own: DAG files (``lab.dags``), DagRuns (``lab.runs``) and the local
NFT API with its faults (``lab.nft``). Every method returns the Airflow-level thing
(the command's output, the REST answer, the rows), so the notebook still teaches
Airflow.
"""

from __future__ import annotations

import shlex
import subprocess
import time
from functools import cached_property
from pathlib import Path
from typing import Any

from airflow_lab import db, stack
from airflow_lab.api import AirflowApi
from airflow_lab.credentials import Credentials, load_credentials
from airflow_lab.dag_files import DagFiles
from airflow_lab.errors import LabError, StackDownError
from airflow_lab.nft_client import NftApiClient
from airflow_lab.results import ANSI, CommandResult
from airflow_lab.runs import Runs
from airflow_lab.settings import Settings, load_settings

__all__ = ["CommandResult", "Lab", "connect", "run_shell"]


class Lab:
    """One running lab stack, as seen from a notebook."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.api = AirflowApi(settings)
        self.dags = DagFiles(settings, self.api)
        self.runs = Runs(settings, self.api)
        self.nft = NftApiClient(settings)

    # ---- connecting ----
    @classmethod
    def connect(cls, home: str | None = None, *, quiet: bool = False) -> Lab:
        """Find the stack (``home`` overrides ``AIRFLOW_LAB_HOME``) and check it is healthy."""
        overrides = {"home": Path(home).expanduser().resolve()} if home else {}
        settings = load_settings(**overrides)
        rows = stack.status(settings) if settings.secrets_file.exists() else []
        if not rows and settings.secrets_file.exists() and stack.compose_healthy(settings):
            # The docker-compose stack: no supervisor of ours, but the same ports and secrets.
            if not quiet:
                print(f"compose stack: healthy over HTTP | UI {settings.api_url}")
            return cls(settings)
        if not rows:
            raise StackDownError(f"the lab stack at {settings.home}")
        sick = [r.name for r in rows if not r.healthy]
        if sick:
            raise LabError(
                f"unhealthy services: {', '.join(sick)}",
                hint="run `airflow-lab status`, then `airflow-lab up`",
            )
        lab = cls(settings)
        if not quiet:
            from importlib.metadata import version

            print(
                f"lab stack: {len(rows)} services healthy | Airflow {version('apache-airflow')}"
                f" | UI {settings.api_url}"
            )
        return lab

    def services(self) -> list:
        """Each service of the stack with its state, pid, port and health (``airflow-lab status``)."""
        return stack.status(self.settings)

    @property
    def credentials(self) -> Credentials:
        return load_credentials(self.settings, create=False)

    @property
    def login(self) -> str:
        """How to log in to the UI, without printing the password itself."""
        return f"user 'admin', password in {self.settings.passwords_file}"

    @cached_property
    def executor(self) -> str:
        """The executor the running stack was started with (its profile: core or celery)."""
        return stack.executor_for(stack.current_profile(self.settings))

    # ---- the airflow command line ----
    def _run(self, program: str, args: tuple[str, ...], timeout: float) -> CommandResult:
        proc = stack.run_airflow(
            self.settings,
            self.credentials,
            *args,
            program=program,
            timeout=timeout,
            executor=self.executor,
        )
        # A Jupyter kernel sets FORCE_COLOR=1, so Airflow's console colours its output: strip
        # the escape codes, or JSON output would not parse and masks would miss values.
        return CommandResult(
            f"{program} {shlex.join(args)}",
            proc.returncode,
            ANSI.sub("", proc.stdout + proc.stderr),
        )

    def airflow(self, *args: str, timeout: float = 300, check: bool = False) -> CommandResult:
        """Run ``airflow <args>`` with this lab's configuration; print nothing, return the result."""
        result = self._run("airflow", args, timeout)
        if check and result.returncode != 0:
            raise LabError(f"`{result.command}` exited {result.returncode}", hint=result.tail(5))
        return result

    def python(self, code: str, timeout: float = 300) -> CommandResult:
        """Run ``python -c code`` in a new process with this lab's Airflow environment.

        For trying Airflow imports (e.g. a name Airflow 3 removed) without importing
        Airflow into the notebook's kernel; prints nothing, returns the result.
        """
        return self._run("python", ("-c", code), timeout)

    def airflow_watch(
        self,
        query: str,
        *args: str,
        database: str = "airflow",
        interval: float = 0.05,
        timeout: float = 300,
    ):
        """Run ``airflow <args>`` and poll ``query`` while it runs: what did the command write?

        Returns ``(result, seen)``: the :class:`CommandResult`, and a DataFrame of
        every distinct row the query returned while the command ran (plus once
        after it ended), with ``seen_at_s``, the seconds after the start it first
        appeared. Rows that come and go (a temporary DagRun, an XCom) show up here.
        """
        import threading

        import pandas as pd

        box: dict[str, CommandResult] = {}
        worker = threading.Thread(
            target=lambda: box.update(result=self.airflow(*args, timeout=timeout))
        )
        t0 = time.monotonic()
        worker.start()
        seen: dict[tuple, float] = {}
        columns: list[str] = []
        while True:
            done = not worker.is_alive()
            frame = self.sql(query, database=database)
            frame = frame.astype(object).where(frame.notna(), None)  # NaN != NaN would repeat rows
            columns = list(frame.columns)
            for row in frame.itertuples(index=False, name=None):
                seen.setdefault(tuple(row), round(time.monotonic() - t0, 2))
            if done:
                break
            time.sleep(interval)
        worker.join()
        if "result" not in box:
            raise LabError(
                f"`airflow {shlex.join(args)}` did not finish within {timeout:.0f} s",
                hint="the machine may be busy; check `airflow-lab status` and try again",
            )
        rows = [(*row, at) for row, at in seen.items()]
        return box["result"], pd.DataFrame(rows, columns=[*columns, "seen_at_s"])

    # ---- SQL ----
    def sql(self, query: str, params: Any = None, *, database: str = "nft"):
        """Run a read query on the ``nft`` database or the ``airflow`` metastore; a DataFrame."""
        return db.query(query, params, database=database, settings=self.settings)

    def execute(self, statement: str, params: Any = None, *, database: str = "nft") -> None:
        """Run one statement in its own transaction."""
        db.execute(statement, params, database=database, settings=self.settings)

    def connection(self, database: str = "nft"):
        """An open psycopg2 connection to ``nft`` or the ``airflow`` metastore.

        For what ``sql``/``execute`` cannot show: ``COPY ... FROM STDIN``, or several
        statements in one transaction that the notebook rolls back. Close it after use
        (``with contextlib.closing(lab.connection()) as conn:``).
        """
        return db.connect(database, self.settings)

    def nfts(self):
        """The pipeline's ``nfts`` table (empty if it does not exist yet)."""
        return db.nft_rows(self.settings)


def connect(home: str | None = None, quiet: bool = False) -> Lab:
    """Shorthand for :meth:`Lab.connect`."""
    return Lab.connect(home, quiet=quiet)


def run_shell(command: str, timeout: float = 120) -> CommandResult:
    """Run a shell command (e.g. ``ruff check``) the way a learner would type it."""
    proc = subprocess.run(
        command, shell=True, capture_output=True, text=True, timeout=timeout, check=False
    )
    return CommandResult(command, proc.returncode, proc.stdout + proc.stderr)
