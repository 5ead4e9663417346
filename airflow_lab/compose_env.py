"""Compose's ``.env`` from the lab's own configuration: ``airflow-lab compose-env > .env``.

``docker-compose.yaml`` reads its secrets, ports and the learner's DAG folder from
``.env`` beside it. This module writes that file from the sources the lab stack
uses (:func:`airflow_lab.settings.load_settings` and
:func:`airflow_lab.credentials.load_credentials`), so a notebook logs in to the
compose stack exactly as to the lab stack, and finds it on the same ports.
"""

from __future__ import annotations

import os
from dataclasses import asdict

from airflow_lab.credentials import Credentials, load_credentials
from airflow_lab.settings import Settings, env_var, load_settings

#: Settings whose port compose publishes on 127.0.0.1, under the lab's own variable
#: names (``AIRFLOW_LAB_API_PORT`` ...), which the compose file interpolates.
PUBLISHED_PORTS = ("api_port", "postgres_port", "nft_api_port", "broker_port", "flower_port")

#: Secrets the compose stack does not use (no JupyterLab in it).
UNUSED_SECRETS = ("jupyter_token",)


def compose_env(
    settings: Settings, creds: Credentials, *, uid: int | None = None
) -> dict[str, str]:
    """The variables ``docker-compose.yaml`` interpolates, by name."""
    env = {
        name.upper(): value for name, value in asdict(creds).items() if name not in UNUSED_SECRETS
    }
    # Files the containers write into bind mounts belong to this user.
    env["AIRFLOW_UID"] = str(os.getuid() if uid is None else uid)
    # The folder notebooks write DAGs to, mounted as the second DAG bundle.
    env["AIRFLOW_LAB_HOME"] = str(settings.home)
    for name in PUBLISHED_PORTS:
        env[env_var(name)] = str(getattr(settings, name))
    return env


def render(env: dict[str, str]) -> str:
    """``.env`` text. Values are generated tokens and paths: no quoting is needed."""
    for key, value in env.items():
        if any(c in value for c in " \t\n'\"$#\\"):
            raise ValueError(f"{key} holds a character .env cannot carry unquoted")
    header = (
        "# docker-compose.yaml's environment, made by `airflow-lab compose-env`.\n"
        "# Secrets: keep this file out of git (mode 600, .gitignore).\n"
    )
    return header + "".join(f"{key}={value}\n" for key, value in env.items())


def main_text(settings: Settings | None = None) -> str:
    """What ``airflow-lab compose-env`` prints: the lab's secrets, made on first use."""
    settings = settings or load_settings()
    settings.learner_dags.mkdir(parents=True, exist_ok=True)
    return render(compose_env(settings, load_credentials(settings)))
