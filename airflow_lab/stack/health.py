"""Is each service healthy? One answer per service, asked the way the service answers.

PostgreSQL by logging in; the four Airflow components by the api-server's own
``/api/v2/monitor/health`` report; the NFT API by its ``/health``; the broker,
Flower and JupyterLab by their port; a Celery worker by supervisor's state.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

import requests

from airflow_lab.credentials import Credentials
from airflow_lab.settings import DAG_ID, Settings
from airflow_lab.stack import postgres
from airflow_lab.stack.processes import port_open
from airflow_lab.stack.supervisor import process_table, state_of

#: Airflow components the api-server's health endpoint reports on.
AIRFLOW_COMPONENTS = {"scheduler", "dag-processor", "triggerer"}
#: Services that are healthy as soon as they accept connections.
PORT_ONLY = {"broker", "flower", "jupyter"}


#: How long a health read waits for the api-server. For some seconds after ``up`` it
#: builds the execution API and answers nothing else (see warm_execution_api): a
#: status read then waits for it rather than calls a busy api-server unhealthy.
HEALTH_TIMEOUT = 30


def airflow_health(settings: Settings) -> dict:
    """The api-server's own health report of the metastore and each component."""
    try:
        resp = requests.get(f"{settings.api_url}/api/v2/monitor/health", timeout=HEALTH_TIMEOUT)
        return resp.json() if resp.ok else {}
    except (requests.RequestException, ValueError):
        return {}


def warm_execution_api(settings: Settings) -> None:
    """Start building the execution API, the one running tasks call; do not wait.

    The api-server builds that API's versioned routes on their first request: about
    8 s of CPU on a 2-core laptop, in the thread that serves every request. Asked at
    the end of ``up``, it is built while the learner opens a notebook, not inside the
    first task. The request is sent and let go: the server finishes the build whether
    or not anyone reads the answer. ``up`` does not wait for it, just as
    ``/monitor/health`` does not count it. Until it is built the api-server answers
    nothing else: a request made meanwhile waits (about 8 s at most on a 2-core
    laptop), whether a task's (the lab's ``[workers] execution_api_timeout`` is 30 s,
    not 5), a page of the UI, or the lab's own health read (``HEALTH_TIMEOUT``).
    """
    try:
        requests.get(f"{settings.api_url}/execution/health", timeout=(3, 0.2))
    except requests.RequestException:
        pass  # the expected read timeout; a refused connection shows in the health checks


def nft_api_healthy(settings: Settings) -> bool:
    try:
        return requests.get(f"{settings.nft_api_url}/health", timeout=3).ok
    except requests.RequestException:
        return False


def compose_healthy(settings: Settings) -> bool:
    """True when an Airflow and an NFT API answer healthy on the lab's ports.

    That is how a stack not run by the lab's supervisor (docker compose) is found.
    """
    health = airflow_health(settings)
    if not health or any(
        v.get("status") != "healthy" for v in health.values() if isinstance(v, dict)
    ):
        return False
    return nft_api_healthy(settings)


def _beats_since_start(name: str, report: dict, started: float | None) -> bool:
    """Is the component healthy, by a heartbeat of the process running now?

    ``/monitor/health`` judges a component by its newest heartbeat alone. After a
    crash the dead process's last heartbeat stays "healthy" for 30 s, while the new
    one is still importing Airflow; only a heartbeat since supervisord started the
    new process counts here.
    """
    if report.get("status") != "healthy":
        return False
    beat = report.get(f"latest_{name.replace('-', '_')}_heartbeat")
    if not beat or not started:  # not run by this lab's supervisord: trust the report
        return True
    return datetime.fromisoformat(beat).timestamp() >= started


def checker(settings: Settings, creds: Credentials) -> Callable[[str], bool]:
    """A function answering 'is this service healthy now?' for each service name."""
    # One GET of /monitor/health (and one read of supervisord's table, for when each
    # process started) answers for four services: reuse them for a moment rather than
    # ask four times per status table.
    cache: dict = {"at": -1.0, "health": {}, "table": {}}

    def health() -> dict:
        if time.monotonic() - cache["at"] > 0.5:
            cache["health"], cache["table"] = airflow_health(settings), process_table(settings)
            cache["at"] = time.monotonic()
        return cache["health"]

    def check(name: str) -> bool:
        if name == "postgres":
            return postgres.is_ready(settings, creds)
        if name == "api-server":
            return health().get("metadatabase", {}).get("status") == "healthy"
        if name in AIRFLOW_COMPONENTS:
            report = health().get(name.replace("-", "_"), {})
            return _beats_since_start(name, report, cache["table"].get(name, {}).get("start"))
        if name == "nft-api":
            return nft_api_healthy(settings)
        if name in PORT_ONLY:
            port = settings.port_of(name)
            return port is not None and port_open(settings.host, port)
        if name.startswith("worker-"):
            return state_of(settings, name) == "RUNNING"
        return False

    return check


def dag_parsed(settings: Settings, creds: Credentials, dag_id: str = DAG_ID) -> bool:
    """Has the dag-processor stored ``dag_id`` from a file that is there now?

    Read from the metastore's ``dag`` table: the stack checks its own database and
    never goes through the REST client that sits above it.
    """
    import psycopg2

    from airflow_lab.stack.airflow_config import metastore_url

    try:
        conn = psycopg2.connect(metastore_url(settings, creds), connect_timeout=3)
    except psycopg2.OperationalError:
        return False
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT is_stale FROM dag WHERE dag_id = %s", (dag_id,))
            row = cur.fetchone()
    except psycopg2.errors.UndefinedTable:
        return False
    finally:
        conn.close()
    return row is not None and not row[0]
