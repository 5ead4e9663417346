"""The lab's Airflow configuration, as environment variables.

Airflow reads ``AIRFLOW__SECTION__KEY`` variables before ``airflow.cfg``, so one
dictionary configures every Airflow process the supervisor starts and every
``airflow ...`` command a notebook runs. The same values are written to
``.lab/airflow.env`` (mode 600) for a learner who wants a terminal:
``source .lab/airflow.env; airflow dags list`` (it exports each variable and puts
the kit's venv first on ``PATH``).
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path

from airflow_lab.credentials import Credentials, write_private
from airflow_lab.settings import Settings

#: The folder of the lab's ``airflow_local_settings.py``, on the Airflow processes' path.
LOCAL_SETTINGS_DIR = Path(__file__).parent / "local_settings"
LOCAL_BUNDLE = "airflow.dag_processing.bundles.local.LocalDagBundle"
SIMPLE_AUTH_MANAGER = (
    "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
)


def database_url(settings: Settings, creds: Credentials, database: str, user: str) -> str:
    """A SQLAlchemy/libpq URL for one of the lab's databases."""
    if settings.database_url:
        base = settings.database_url.rstrip("/")
        return f"{base}/{database}"
    password = creds.airflow_db_password if user == "airflow" else creds.nft_db_password
    return f"postgresql://{user}:{password}@{settings.host}:{settings.postgres_port}/{database}"


def metastore_url(settings: Settings, creds: Credentials) -> str:
    return database_url(settings, creds, "airflow", "airflow")


def nft_db_url(settings: Settings, creds: Credentials) -> str:
    return database_url(settings, creds, "nft", "nft")


def _postgres_connection(settings: Settings, creds: Credentials) -> str:
    from urllib.parse import unquote, urlsplit

    url = urlsplit(nft_db_url(settings, creds))
    # A URL carries '@', ':' or '/' in a login %-escaped; the connection's fields are plain.
    return json.dumps(
        {
            "conn_type": "postgres",
            "host": url.hostname,
            "port": url.port or 5432,
            "login": url.username and unquote(url.username),
            "password": url.password and unquote(url.password),
            "schema": url.path.lstrip("/"),
        }
    )


def _opensea_connection(settings: Settings, creds: Credentials) -> str:
    # The key travels as a header from the connection's extra: no key in the DAG.
    return json.dumps(
        {
            "conn_type": "http",
            "host": settings.host,
            "port": settings.nft_api_port,
            "schema": "http",
            "extra": {"x-api-key": creds.nft_api_key},
        }
    )


def airflow_env(settings: Settings, creds: Credentials, *, executor: str = "LocalExecutor") -> dict:
    """Environment for every Airflow process of this lab."""
    api = settings.api_url
    env = {
        "AIRFLOW_HOME": str(settings.airflow_home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(settings.dags_folder),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        # Two DAG bundles: the kit's dags/ and a folder for DAGs the notebooks write.
        "AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST": json.dumps(
            [
                {
                    "name": "dags-folder",
                    "classpath": LOCAL_BUNDLE,
                    "kwargs": {"path": str(settings.dags_folder)},
                },
                {
                    "name": "learner",
                    "classpath": LOCAL_BUNDLE,
                    "kwargs": {"path": str(settings.learner_dags)},
                },
            ]
        ),
        "AIRFLOW__CORE__EXECUTOR": executor,
        "AIRFLOW__CORE__PARALLELISM": str(settings.parallelism),
        "AIRFLOW__CORE__FERNET_KEY": creds.fernet_key,
        "AIRFLOW__CORE__AUTH_MANAGER": SIMPLE_AUTH_MANAGER,
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(settings.passwords_file),
        # Without this the task runner calls localhost:8080 and every task fails
        # before it starts whenever the API port is not 8080.
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{api}/execution/",
        # A task waits for the execution API's answer up to 30 s (default 5), then
        # retries: on a busy 2-core laptop, and while the api-server builds that API
        # after a start, a request it gave up on may already have been carried out.
        "AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT": "30",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metastore_url(settings, creds).replace(
            "postgresql://", "postgresql+psycopg2://", 1
        ),
        "AIRFLOW__API__BASE_URL": api,
        "AIRFLOW__API__HOST": settings.host,
        "AIRFLOW__API__PORT": str(settings.api_port),
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__API__SECRET_KEY": creds.api_secret_key,
        "AIRFLOW__API_AUTH__JWT_SECRET": creds.jwt_secret,
        # A learner should wait seconds, not minutes.
        "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": "0.2",
        # A new DAG file is found when the bundles are next listed: by default at most
        # every 5 s (the check) and 5 min (the listing); every second here, a listing
        # of two small folders.
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "1",
        "AIRFLOW__DAG_PROCESSOR__BUNDLE_REFRESH_CHECK_INTERVAL": "1",
        # A file that changed is parsed at once whatever this says (the default
        # `file_parsing_sort_mode`, modified_time, re-queues it); this only spaces the
        # re-parses of unchanged files. Every re-parse imports the file's providers
        # in a fresh process: with the thirty exercise DAGs the course leaves in the
        # learner bundle, every 10 s kept one of two cores busy.
        "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "120",
        # By default a DAG serialized less than 30 s ago is not rewritten, and the
        # api-server serves its cached copy for as long: a learner who fixes a DAG
        # within 30 s of the last version would be shown the old graph. 0 writes every
        # change (only a changed DAG hash is written) and re-checks the cache per request.
        "AIRFLOW__CORE__MIN_SERIALIZED_DAG_UPDATE_INTERVAL": "0",
        "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
        # `up` runs `airflow db migrate` before it starts any component (again when the
        # Airflow version changes), so the components need not each check the schema
        # at start: 2-3 s of a warm start on two cores.
        "AIRFLOW__DATABASE__CHECK_MIGRATIONS": "False",
        # A task whose process died (a killed worker, a killed scheduler's children)
        # is noticed in 30 s (default 300 s) and retried: long enough for a busy
        # laptop, short enough for a lesson.
        "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "30",
        "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "5",
        # Only the scheduler that queued a task watches its heartbeat; a scheduler that
        # died leaves its running tasks to be adopted by the next one, which looks for
        # such orphans every 20 s here (default 300 s).
        "AIRFLOW__SCHEDULER__ORPHANED_TASKS_CHECK_INTERVAL": "20",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(settings.airflow_home / "logs"),
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        # The lab's two connections, set by environment (one of three ways; see 06a).
        "AIRFLOW_CONN_DB_POSTGRE": _postgres_connection(settings, creds),
        "AIRFLOW_CONN_OPENSEA_API": _opensea_connection(settings, creds),
        "PYTHONDONTWRITEBYTECODE": "",
        # 2.3 s less per process and per task: see _import_shims/rfc3987_syntax. And
        # Airflow's local settings: tasks start with their imports done (see there).
        "PYTHONPATH": os.pathsep.join(
            [str(Path(__file__).parent.parent / "_import_shims"), str(LOCAL_SETTINGS_DIR)]
        ),
    }
    if executor == "CeleryExecutor":
        env.update(celery_env(settings, creds))
    return env


def celery_env(settings: Settings, creds: Credentials) -> dict:
    broker = settings.broker_url or f"redis://{settings.host}:{settings.broker_port}/0"
    result = "db+" + metastore_url(settings, creds).replace(
        "postgresql://", "postgresql+psycopg2://", 1
    )
    return {
        "AIRFLOW__CELERY__BROKER_URL": broker,
        "AIRFLOW__CELERY__RESULT_BACKEND": result,
        "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(settings.celery_concurrency),
        "AIRFLOW__CELERY__FLOWER_HOST": settings.host,
        "AIRFLOW__CELERY__FLOWER_PORT": str(settings.flower_port),
    }


def venv_bin() -> Path:
    """The folder holding this interpreter's scripts (``airflow``, ``jupyter``, ...)."""
    return Path(sys.executable).parent


def write_env_file(settings: Settings, env: dict) -> Path:
    """``.lab/airflow.env``: ``source`` it, and ``airflow`` in that shell is the lab's."""
    lines = [f"export {key}={shlex.quote(value)}" for key, value in sorted(env.items())]
    lines.append(f'export PATH={shlex.quote(str(venv_bin()))}:"$PATH"')
    write_private(settings.env_file, "\n".join(lines) + "\n")
    return settings.env_file
