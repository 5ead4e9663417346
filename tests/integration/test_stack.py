"""The lab stack as a learner meets it: healthy, idempotent, private."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import psutil
import requests

from airflow_lab import stack
from airflow_lab.settings import Settings


def test_every_service_is_healthy(lab: Settings) -> None:
    rows = stack.status(lab)
    names = {r.name for r in rows}
    assert {"postgres", "api-server", "scheduler", "dag-processor", "triggerer", "nft-api"} <= names
    assert all(r.healthy for r in rows), [(r.name, r.state) for r in rows if not r.healthy]
    assert all(r.pid for r in rows)


def test_second_up_does_nothing_and_says_so(lab: Settings) -> None:
    lines: list[str] = []
    assert stack.up(lab, report=lines.append) == 0.0
    assert any("nothing to do" in line for line in lines)


def test_cli_status_exits_zero_on_a_healthy_stack(lab: Settings) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "airflow_lab.cli", "status"],
        capture_output=True,
        text=True,
        env=os.environ,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "api-server" in result.stdout and "unhealthy" not in result.stdout


def test_everything_listens_on_loopback_only(lab: Settings) -> None:
    pids = {p.pid for p in stack.supervisor_tree(lab)}
    listening = [
        c
        for c in psutil.net_connections(kind="inet")
        if c.status == psutil.CONN_LISTEN and c.pid in pids
    ]
    assert listening, "found no listening sockets of the stack"
    wide = [(c.pid, c.laddr) for c in listening if c.laddr.ip not in ("127.0.0.1", "::1")]
    assert not wide, f"sockets bound beyond loopback: {wide}"


def test_secrets_are_private(lab: Settings) -> None:
    for path in (lab.secrets_file, lab.passwords_file, lab.supervisor_conf, lab.env_file):
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == 0o600, f"{path} has mode {oct(mode)}"
    ignored = subprocess.run(["git", "check-ignore", "-q", str(lab.secrets_file)], check=False)
    assert ignored.returncode == 0, f"{lab.secrets_file} is not git-ignored"


def test_endpoints_refuse_requests_without_login(lab: Settings) -> None:
    assert requests.get(f"{lab.api_url}/api/v2/dags", timeout=5).status_code == 401
    nft = requests.get(f"{lab.nft_api_url}/api/v2/collection/{lab.collection}/nfts", timeout=5)
    assert nft.status_code == 401
    bad = requests.post(
        f"{lab.api_url}/auth/token", json={"username": "admin", "password": "admin"}, timeout=5
    )
    assert bad.status_code == 401, "admin/admin must not log in"
