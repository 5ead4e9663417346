"""airflow_lab.compose_env: `airflow-lab compose-env` prints the lab's own secrets, ports and home.

What docker-compose.yaml does with them is checked in test_compose.py.
"""

from __future__ import annotations

import json
import stat

import pytest
from typer.testing import CliRunner

from airflow_lab import cli
from airflow_lab.compose_env import render
from airflow_lab.credentials import load_credentials
from airflow_lab.settings import load_settings


def test_the_command_prints_the_labs_secrets_ports_and_home(tmp_path, monkeypatch):
    monkeypatch.setenv("AIRFLOW_LAB_HOME", str(tmp_path / "lab"))
    monkeypatch.setenv("AIRFLOW_LAB_PORT_OFFSET", "1000")
    result = CliRunner().invoke(cli.app, ["compose-env"])
    assert result.exit_code == 0, result.output
    env = dict(line.split("=", 1) for line in result.output.splitlines() if line[0] != "#")
    settings = load_settings()
    creds = load_credentials(settings, create=False)
    assert env["ADMIN_PASSWORD"] == creds.admin_password and env["FERNET_KEY"] == creds.fernet_key
    assert "JUPYTER_TOKEN" not in env
    assert env["AIRFLOW_LAB_API_PORT"] == "9080" and env["AIRFLOW_LAB_POSTGRES_PORT"] == "6433"
    assert env["AIRFLOW_LAB_HOME"] == str(settings.home) and settings.learner_dags.is_dir()
    # The secrets it made on first use are the owner's alone, and the SimpleAuthManager
    # file on the host holds the password compose's airflow-init writes.
    assert stat.S_IMODE(settings.secrets_file.stat().st_mode) == 0o600
    assert json.loads(settings.passwords_file.read_text()) == {"admin": env["ADMIN_PASSWORD"]}


def test_render_refuses_what_env_cannot_carry():
    assert render({"A": "b"}).endswith("\nA=b\n")
    with pytest.raises(ValueError, match="X holds a character"):
        render({"X": "a b"})
