"""`airflow-lab compose-env`: compose's .env from the lab's own settings and secrets."""

from __future__ import annotations

import json
import shutil
import stat
import subprocess

import pytest
import yaml

from airflow_lab.compose_env import PUBLISHED_PORTS, compose_env, main_text, render
from airflow_lab.credentials import load_credentials
from airflow_lab.settings import PROJECT_ROOT, load_settings

COMPOSE_FILE = PROJECT_ROOT / "docker-compose.yaml"


def parse(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if line and line[0] != "#")


@pytest.fixture
def settings(tmp_path, monkeypatch):
    monkeypatch.setenv("AIRFLOW_LAB_HOME", str(tmp_path / "lab"))
    monkeypatch.setenv("AIRFLOW_LAB_PORT_OFFSET", "1000")
    return load_settings()


def test_values_are_the_labs_secrets_and_shifted_ports(settings):
    env = parse(main_text(settings))
    creds = load_credentials(settings, create=False)
    assert env["ADMIN_PASSWORD"] == creds.admin_password
    assert env["FERNET_KEY"] == creds.fernet_key
    assert "JUPYTER_TOKEN" not in env
    assert env["AIRFLOW_LAB_API_PORT"] == "9080" and env["AIRFLOW_LAB_POSTGRES_PORT"] == "6433"
    assert env["AIRFLOW_LAB_HOME"] == str(settings.home)
    # the secrets file it made is the owner's alone
    assert stat.S_IMODE(settings.secrets_file.stat().st_mode) == 0o600
    # the SimpleAuthManager file on the host holds the password compose's init writes
    assert json.loads(settings.passwords_file.read_text()) == {"admin": env["ADMIN_PASSWORD"]}


def test_every_variable_the_file_reads_is_written_or_has_a_default(settings):
    import re

    text = COMPOSE_FILE.read_text().split("\n---\n", 1)[1]
    required = set(re.findall(r"\$\{([A-Z_]+):\?", text))
    with_default = set(re.findall(r"\$\{([A-Z_]+):-", text))
    env = compose_env(settings, load_credentials(settings))
    assert required <= set(env), required - set(env)
    for name in PUBLISHED_PORTS:
        assert f"AIRFLOW_LAB_{name.upper()}" in with_default, f"the file ignores {name}"


def test_ports_are_published_on_loopback_only():
    config = yaml.safe_load(COMPOSE_FILE.read_text())
    for name, svc in config["services"].items():
        for port in svc.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} beyond 127.0.0.1"


def test_render_refuses_what_env_cannot_carry():
    with pytest.raises(ValueError):
        render({"X": "a b"})


@pytest.mark.skipif(
    not shutil.which("docker")
    or subprocess.run(["docker", "compose", "version"], capture_output=True).returncode != 0,
    reason="needs the docker compose CLI (no engine needed)",
)
def test_docker_compose_config_interpolates_the_file_with_it(settings, tmp_path):
    """Compose itself reads the file with this .env: every variable resolves."""
    env_file = tmp_path / "compose.env"
    env_file.write_text(main_text(settings))
    out = subprocess.run(
        [
            "docker",
            "compose",
            "--env-file",
            str(env_file),
            "--profile",
            "celery",
            "--profile",
            "debug",
            "config",
            "--format",
            "json",
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    config = json.loads(out)
    api = config["services"]["airflow-apiserver"]["ports"][0]
    assert (api["host_ip"], api["published"]) == ("127.0.0.1", "9080")
    learner = [
        v
        for v in config["services"]["airflow-scheduler"]["volumes"]
        if v["target"] == "/opt/airflow/learner-dags"
    ]
    assert learner[0]["source"] == str(settings.learner_dags)
