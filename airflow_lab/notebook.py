"""The handle a notebook holds on the running lab: ``lab = Lab.connect()``.

It removes boilerplate only: finding the stack, logging in, running an ``airflow``
command with the lab's configuration, reading a table, switching an API fault on
and off, waiting by polling. Every method prints or returns the Airflow-level
thing (the command, the REST path, the SQL), so the notebook still teaches Airflow.
"""

from __future__ import annotations

import contextlib
import os
import re
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
from airflow_lab.stack import airflow_cli, current_profile, status

#: Terminal colour and cursor codes (ESC [ ... letter).
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")

#: One structlog line of Airflow: ``2026-01-01T10:00:00.123456Z [info     ] message [logger] k=v``.
_LOG_LINE = re.compile(
    r"^\d{4}-\d\d-\d\dT(?P<time>\d\d:\d\d:\d\d\.\d{3})\d*Z? \[(?P<level>\w+)\s*\] "
    r"(?P<event>.*?)(?: \[[\w.]+\](?: [^\[\]]*)?)?$"
)


def _compose_healthy(settings: Settings) -> bool:
    """True when an Airflow and an NFT API answer healthy on the lab's ports (compose)."""
    from airflow_lab.services import airflow_health

    health = airflow_health(settings)
    if not health or any(
        v.get("status") != "healthy" for v in health.values() if isinstance(v, dict)
    ):
        return False
    try:
        return requests.get(f"{settings.nft_api_url}/health", timeout=3).ok
    except requests.RequestException:
        return False


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

    def events(
        self, *words: str, width: int = 150, keep: tuple[str, ...] = ("new_state",)
    ) -> list[str]:
        """Like :meth:`grep`, with each Airflow log line cut to ``HH:MM:SS.mmm level message``.

        Drops the date, the logger name and the ``key=value`` fields after it (but
        those named in ``keep``), so a notebook can show what happened, and when, in
        one short line per event.
        """
        events = []
        for line in self.grep(*words):
            match = _LOG_LINE.match(line)
            if match:
                fields = [f"{k}={v}" for k, v in re.findall(r" (\w+)=(\S+)", line) if k in keep]
                line = " ".join(
                    [f"{match['time']} {match['level']:<7} {match['event'].strip()}", *fields]
                )
            events.append(line if len(line) <= width else line[: width - 1] + "…")
        return events

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
        if not rows and settings.secrets_file.exists() and _compose_healthy(settings):
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

    @property
    def credentials(self) -> Credentials:
        return load_credentials(self.settings, create=False)

    @property
    def login(self) -> str:
        """How to log in to the UI, without printing the password itself."""
        return f"user 'admin', password in {self.settings.passwords_file}"

    @property
    def executor(self) -> str:
        """The executor the running stack was started with (its profile: core or celery)."""
        return "CeleryExecutor" if current_profile(self.settings) == "celery" else "LocalExecutor"

    # ---- Airflow's own interfaces ----
    def airflow(self, *args: str, timeout: float = 300, check: bool = False) -> CommandResult:
        """Run ``airflow <args>`` with this lab's configuration; print nothing, return the result."""
        proc = airflow_cli(
            self.settings, self.credentials, *args, timeout=timeout, executor=self.executor
        )
        # A Jupyter kernel sets FORCE_COLOR=1, so Airflow's console colours its output: strip
        # the escape codes, or JSON output would not parse and masks would miss values.
        result = CommandResult(
            "airflow " + shlex.join(args), proc.returncode, _ANSI.sub("", proc.stdout + proc.stderr)
        )
        if check and proc.returncode != 0:
            raise LabError(f"`{result.command}` exited {proc.returncode}", hint=result.tail(5))
        return result

    def python(self, code: str, timeout: float = 300) -> CommandResult:
        """Run ``python -c code`` in a new process with this lab's Airflow environment.

        For trying Airflow imports (e.g. a name Airflow 3 removed) without importing
        Airflow into the notebook's kernel; prints nothing, returns the result.
        """
        from airflow_lab.config import airflow_env, venv_bin

        env = {**os.environ, **airflow_env(self.settings, self.credentials, executor=self.executor)}
        proc = subprocess.run(
            [str(venv_bin() / "python"), "-c", code],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        return CommandResult(
            f"python -c {shlex.quote(code)}",
            proc.returncode,
            _ANSI.sub("", proc.stdout + proc.stderr),
        )

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

    def sql(self, query: str, params: Any = None, *, database: str = "nft"):
        """Run a read query on the ``nft`` database or the ``airflow`` metastore; a DataFrame."""
        return db.query(query, params, database=database, settings=self.settings)

    def execute(self, statement: str, params: Any = None, *, database: str = "nft") -> None:
        db.execute(statement, params, database=database, settings=self.settings)

    def connection(self, database: str = "nft"):
        """An open psycopg2 connection to ``nft`` or the ``airflow`` metastore.

        For what ``sql``/``execute`` cannot show: ``COPY ... FROM STDIN``, or several
        statements in one transaction that the notebook rolls back. Close it after use
        (``with contextlib.closing(lab.connection()) as conn:``).
        """
        from airflow_lab.config import metastore_url, nft_db_url

        url = (metastore_url if database == "airflow" else nft_db_url)(
            self.settings, self.credentials
        )
        return db._connect(url)

    def nfts(self):
        """The pipeline's ``nfts`` table (empty if it does not exist yet)."""
        return db.nft_rows(self.settings)

    # ---- the NFT API ----
    def nft_api(self, path: str, *, key: bool = True, **params: Any) -> requests.Response:
        """GET a path of the local NFT API, with the lab's API key unless ``key=False``."""
        headers = {"x-api-key": self.credentials.nft_api_key} if key else {}
        return requests.get(
            f"{self.settings.nft_api_url}{path}", params=params or None, headers=headers, timeout=30
        )

    def set_fault(self, kind: str, count: int | None = None, **options: Any) -> dict:
        body = {"kind": kind, "count": count, **options}
        resp = requests.post(
            f"{self.settings.nft_api_url}/admin/faults",
            json=body,
            headers={"x-api-key": self.credentials.nft_api_key},
            timeout=10,
        )
        resp.raise_for_status()
        return resp.json()

    def clear_faults(self) -> None:
        requests.delete(
            f"{self.settings.nft_api_url}/admin/faults",
            headers={"x-api-key": self.credentials.nft_api_key},
            timeout=10,
        ).raise_for_status()

    @contextlib.contextmanager
    def fault(self, kind: str, count: int | None = None, **options: Any) -> Iterator[dict]:
        """Make the NFT API misbehave inside a ``with`` block, and always recover after."""
        state = self.set_fault(kind, count, **options)
        try:
            yield state
        finally:
            self.clear_faults()

    # ---- DAGs and runs ----
    def write_dag(
        self, filename: str, source: str, dag_id: str | None = None, timeout: float = 90
    ) -> float:
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
            if dag_id is None and any(
                e["filename"].endswith(filename) for e in self.api.import_errors()
            ):
                return time.monotonic() - t0
            time.sleep(0.5)
        raise LabError(
            f"{filename} was not parsed within {timeout:.0f} s",
            hint="check `airflow-lab logs dag-processor`",
        )

    def remove_dag(self, filename: str) -> None:
        (self.settings.learner_dags / filename).unlink(missing_ok=True)

    def run(
        self,
        dag_id: str = DAG_ID,
        conf: dict | None = None,
        logical_date: str | None = None,
        timeout: float = 180,
    ) -> dict:
        """Unpause, trigger through the REST API, and poll until the run ends."""
        return self.api.run_dag(dag_id, logical_date, conf, timeout)

    def wait_until_idle(self, dag_id: str = DAG_ID, timeout: float = 180) -> float:
        """Poll until ``dag_id`` has no queued or running DagRun; return the seconds waited.

        Call it before switching on an API fault with a ``count``: a scheduled run of
        the DAG (e.g. the one the scheduler creates right after the DAG is unpaused)
        would otherwise use up the faulty answers meant for your own command.
        """
        t0 = time.monotonic()
        while self.api.dag_runs(dag_id, state=["queued", "running"]):
            if time.monotonic() - t0 > timeout:
                raise LabError(
                    f"{dag_id} still has runs in progress after {timeout:.0f} s",
                    hint="see them in the UI, or wait and run the cell again",
                )
            time.sleep(0.5)
        return time.monotonic() - t0

    def remove_test_runs(self, dag_id: str = DAG_ID, logical_date: str = "2023-01-01") -> list[str]:
        """Delete the DagRuns that ``airflow tasks test <dag> <task> <logical_date>`` would reuse.

        ``tasks test`` runs the task inside an existing DagRun with that run id or logical
        date, and only creates (then deletes) a temporary one when there is none. A
        temporary run left behind by an interrupted test, or a real run on that date,
        would make the test record its state and XComs there. Removes them with
        ``DELETE /api/v2/dags/{dag_id}/dagRuns/{run_id}``; returns their run ids.
        """
        from urllib.parse import quote

        rows = self.sql(
            "SELECT run_id FROM dag_run WHERE dag_id = %s AND (starts_with(run_id, "
            "'__airflow_temporary_run_') OR logical_date = %s::timestamptz)",
            (dag_id, f"{logical_date} 00:00:00+00"),
            database="airflow",
        )
        run_ids = list(rows["run_id"])
        for run_id in run_ids:
            self.api.request("DELETE", f"/api/v2/dags/{dag_id}/dagRuns/{quote(run_id, safe='')}")
        return run_ids

    def task_instances(self, run_id: str, dag_id: str = DAG_ID):
        """The metastore's rows for one run's task instances (a DataFrame)."""
        return db.task_instances(dag_id, run_id, self.settings)

    def tries(self, run_id: str, dag_id: str = DAG_ID):
        """Every try of one run's task instances (``task_instance_history`` + ``task_instance``)."""
        return db.task_tries(dag_id, run_id, self.settings)

    def run_state(self, run_id: str, dag_id: str = DAG_ID) -> str | None:
        """A DagRun's state, read from the metastore's ``dag_run`` table."""
        return db.run_state(dag_id, run_id, self.settings)

    def wait_for_run(self, run_id: str, dag_id: str = DAG_ID, timeout: float = 300) -> str:
        """Poll the ``dag_run`` table until the run succeeds or fails; return that state.

        Reads the metastore, not the REST API, so a busy api-server on a loaded laptop
        cannot make the wait itself time out.
        """
        deadline = time.monotonic() + timeout
        while (state := self.run_state(run_id, dag_id)) not in ("success", "failed"):
            if time.monotonic() > deadline:
                raise LabError(
                    f"{dag_id} run {run_id} still {state!r} after {timeout:.0f} s",
                    hint="check `airflow-lab status` and `airflow-lab logs scheduler`",
                )
            time.sleep(0.3)
        return state

    def reset_nfts(self) -> None:
        """Drop the pipeline's table so an exercise starts from nothing."""
        self.execute("DROP TABLE IF EXISTS nfts")

    def dag_code(self, name: str, path: str | Path | None = None) -> str:
        """A piece of a DAG file, read now, so a notebook cannot drift from it.

        ``path`` defaults to the kit's ``dags/nft_pipeline.py``; ``"seed"`` means the
        study note's original, ``notebooks/seed/nft_pipeline_seed.py``. ``name`` is
        either a ``# [START name]``/``# [END name]`` section, or a name the file
        assigns (a task, a constant) or a function it defines: that statement, with
        the comment lines just above it.
        """
        import ast
        import textwrap

        if path is None:
            path = self.settings.dags_folder / "nft_pipeline.py"
        elif path == "seed":
            path = self.settings.notebooks_folder / "seed" / "nft_pipeline_seed.py"
        filename = Path(path).name
        source = Path(path).read_text()
        start, end = f"# [START {name}]\n", f"# [END {name}]"
        if start in source:
            return source.split(start, 1)[1].split(end, 1)[0].strip("\n")
        lines = source.splitlines()
        for node in ast.walk(ast.parse(source)):
            names = []
            if isinstance(node, ast.Assign):
                names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            elif isinstance(node, ast.FunctionDef):
                names = [node.name]
            if name in names:
                first = node.lineno - 1
                while first > 0 and lines[first - 1].strip().startswith("#"):
                    first -= 1
                return textwrap.dedent("\n".join(lines[first : node.end_lineno]))
        raise LabError(
            f"{filename} has no section or statement named {name!r}",
            hint="look for `# [START ...]` markers or task variables in the DAG file",
        )


def connect(home: str | None = None, quiet: bool = False) -> Lab:
    """Shorthand for :meth:`Lab.connect`."""
    return Lab.connect(home, quiet=quiet)


def run_shell(command: str, timeout: float = 120) -> CommandResult:
    """Run a shell command (e.g. ``ruff check``) the way a learner would type it."""
    proc = subprocess.run(
        command, shell=True, capture_output=True, text=True, timeout=timeout, check=False
    )
    return CommandResult(command, proc.returncode, proc.stdout + proc.stderr)
