"""A thin client for Airflow's public REST API (``/api/v2``), on plain ``requests``.

Thin on purpose: each method is one documented REST call, so a notebook can show
the method and the HTTP request side by side. The helper removes only the
boilerplate: getting a JWT from ``POST /auth/token`` and polling for a state.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import requests

from airflow_lab.credentials import load_credentials
from airflow_lab.errors import ApiError, LabError, StackDownError
from airflow_lab.settings import Settings, load_settings
from airflow_lab.waiting import poll

TERMINAL_RUN_STATES = {"success", "failed"}


class RequestTimeout(LabError):
    """The api-server did not answer one request in time (a busy laptop)."""


def _timed_out(method: str, path: str) -> RequestTimeout:
    return RequestTimeout(
        f"{method} {path} timed out",
        hint="the machine may be busy; check `airflow-lab status` and try again",
    )


def describe_import_error(error: dict) -> str:
    """``file:line: last line of the traceback`` for one ``/api/v2/importErrors`` entry."""
    trace = (error.get("stack_trace") or "").strip()
    lines = re.findall(r'File "([^"]+)", line (\d+)', trace)
    own = [(f, n) for f, n in lines if f.endswith(Path(error["filename"]).name)]
    where = f"{error['filename']}:{own[-1][1]}" if own else error["filename"]
    last = trace.splitlines()[-1] if trace else "import failed"
    return f"{where}: {last}"


class AirflowApi:
    """Talks to the lab's api-server as the ``admin`` user."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        base_url: str | None = None,
        username: str = "admin",
        password: str | None = None,
    ) -> None:
        self.settings = settings or load_settings()
        self.base_url = (base_url or self.settings.api_url).rstrip("/")
        self.username = username
        self._password = password
        self._token: str | None = None
        self.session = requests.Session()

    # ---- authentication ----
    def token(self) -> str:
        """A JWT for the REST API: ``POST /auth/token`` with the user's login."""
        if self._token is None:
            password = (
                self._password or load_credentials(self.settings, create=False).admin_password
            )
            try:
                resp = self.session.post(
                    f"{self.base_url}/auth/token",
                    json={"username": self.username, "password": password},
                    timeout=30,  # as every request: an api-server just started may be busy
                )
            except requests.ConnectionError as e:
                raise StackDownError(f"the Airflow API at {self.base_url}") from e
            except requests.Timeout as e:
                raise _timed_out("POST", "/auth/token") from e
            if resp.status_code != 201:
                raise ApiError("POST", "/auth/token", resp.status_code, resp.text[:200])
            self._token = resp.json()["access_token"]
        return self._token

    def request(
        self, method: str, path: str, *, timeout: float = 30, _relogin: bool = True, **kwargs: Any
    ) -> Any:
        """One REST call; returns the decoded JSON (or None for an empty body)."""
        headers = {"Authorization": f"Bearer {self.token()}"}
        try:
            resp = self.session.request(
                method, f"{self.base_url}{path}", headers=headers, timeout=timeout, **kwargs
            )
        except requests.ConnectionError as e:
            raise StackDownError(f"the Airflow API at {self.base_url}") from e
        except requests.Timeout as e:
            raise _timed_out(method, path) from e
        if resp.status_code == 401 and self._token and _relogin:
            self._token = None  # expired: log in again once
            return self.request(method, path, timeout=timeout, _relogin=False, **kwargs)
        if not resp.ok:
            try:
                detail = resp.json().get("detail", resp.text)
            except ValueError:
                detail = resp.text
            raise ApiError(method, path, resp.status_code, str(detail)[:300])
        return resp.json() if resp.content else None

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params or None)

    # ---- DAGs ----
    def dag(self, dag_id: str) -> dict:
        return self.get(f"/api/v2/dags/{dag_id}")

    def dag_exists(self, dag_id: str) -> bool:
        """Parsed from a file that is there now. A DAG whose file was removed stays
        in the metastore, marked stale, and cannot be triggered: that one does not count."""
        try:
            dag = self.dag(dag_id)
        except ApiError as e:
            if e.status == 404:
                return False
            raise
        return not dag.get("is_stale", False)

    def set_paused(self, dag_id: str, paused: bool) -> dict:
        return self.request("PATCH", f"/api/v2/dags/{dag_id}", json={"is_paused": paused})

    def import_errors(self) -> list[dict]:
        return self.get("/api/v2/importErrors")["import_errors"]

    # ---- runs ----
    def trigger(
        self,
        dag_id: str,
        logical_date: str | None = None,
        conf: dict | None = None,
        run_id: str | None = None,
    ) -> dict:
        """``POST /api/v2/dags/{dag_id}/dagRuns``: create a DagRun now."""
        body: dict[str, Any] = {"logical_date": logical_date, "conf": conf or {}}
        if run_id:
            body["dag_run_id"] = run_id
        try:
            return self.request("POST", f"/api/v2/dags/{dag_id}/dagRuns", json=body)
        except ApiError as e:
            if e.status == 404:
                self.raise_for_import_errors(dag_id)
            raise

    def raise_for_import_errors(self, dag_id: str) -> None:
        """A DAG that Airflow does not know may be a file it could not import: say so.

        Without this, a syntax error in a DAG file shows up only as "404 Dag not found".
        """
        errors = self.import_errors()
        if errors:
            raise LabError(
                f"{dag_id} is not in Airflow, and a DAG file failed to import: "
                + "; ".join(describe_import_error(e) for e in errors),
                hint="fix that line; `airflow dags list-import-errors` lists every import error",
            )

    def dag_run(self, dag_id: str, run_id: str) -> dict:
        return self.get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}")

    def dag_runs(self, dag_id: str, **params: Any) -> list[dict]:
        return self.get(f"/api/v2/dags/{dag_id}/dagRuns", **params)["dag_runs"]

    def task_instances(self, dag_id: str, run_id: str) -> list[dict]:
        return self.get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances")["task_instances"]

    def clear_run(self, dag_id: str, run_id: str) -> dict:
        return self.request(
            "POST", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/clear", json={"dry_run": False}
        )

    def xcom(self, dag_id: str, run_id: str, task_id: str, key: str = "return_value") -> Any:
        path = f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/xcomEntries/{key}"
        return self.get(path, deserialize="true")["value"]

    def task_log(self, dag_id: str, run_id: str, task_id: str, try_number: int = 1) -> str:
        path = f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/logs/{try_number}"
        data = self.get(path, full_content="true")
        content = data.get("content", "")
        if isinstance(content, list):
            lines = []
            for item in content:
                if not isinstance(item, dict):
                    lines.append(str(item))
                    continue
                lines.append(str(item.get("event", item)))
                # A failure's exception travels in error_detail, not in the event text.
                for exc in item.get("error_detail") or []:
                    if isinstance(exc, dict):
                        lines.append(f"{exc.get('exc_type')}: {exc.get('exc_value')}")
            return "\n".join(lines)
        return str(content)

    def wait_for_run(
        self, dag_id: str, run_id: str, timeout: float = 120, interval: float = 0.3
    ) -> dict:
        """Poll the DagRun until it succeeds or fails; never a fixed sleep.

        A busy api-server may miss one poll's timeout: that counts as one more poll.
        """
        return poll(
            lambda: self.dag_run(dag_id, run_id),
            lambda run: run["state"] in TERMINAL_RUN_STATES,
            timeout=timeout,
            interval=interval,
            what=f"the end of {dag_id} run {run_id}",
            tolerate=(RequestTimeout,),
            show=lambda run: repr(run["state"]),
        )

    def run_dag(
        self,
        dag_id: str,
        logical_date: str | None = None,
        conf: dict | None = None,
        timeout: float = 120,
    ) -> dict:
        """Unpause, trigger and wait: what `airflow-lab demo` and the tests do."""
        self.set_paused(dag_id, False)
        run = self.trigger(dag_id, logical_date, conf)
        return self.wait_for_run(dag_id, run["dag_run_id"], timeout)
