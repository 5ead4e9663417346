"""The compose stack, brought up as a user would, for `make test-compose`.

``.env`` comes from ``airflow-lab compose-env`` (kept under the lab home, mode
600, and passed with ``--env-file`` so a learner's own ``.env`` is never touched),
then ``docker compose up airflow-init`` and ``docker compose up -d``. Images come
from the process environment (``AIRFLOW_IMAGE_NAME`` ...): the upstream ones, or
the stand-ins ``compose/build-images.sh`` made. The session ends with
``docker compose down -v`` and checks that nothing of the project is left.

The outputs notebook 03 shows (``ps``, the init log, the seed's ``tasks test``)
are saved to ``notebooks/compose_run.json`` from this real run.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from airflow_lab.settings import PROJECT_ROOT, Settings, load_settings

PROJECT = "airflow-lab-test"
TRANSCRIPT = PROJECT_ROOT / "notebooks" / "compose_run.json"
RESULTS: dict[str, object] = {"healthy": 0, "rows": 0, "notebooks": 0}


class Compose:
    """``docker compose`` on this project, with the lab's .env."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.env_file = settings.home / "compose.env"
        self.transcript: dict[str, dict] = {}

    def base(self, *profiles: str) -> list[str]:
        cmd = ["docker", "compose", "-p", PROJECT, "--env-file", str(self.env_file)]
        for p in profiles:
            cmd += ["--profile", p]
        return cmd

    def run(
        self,
        *args: str,
        profiles: tuple[str, ...] = (),
        env: dict | None = None,
        timeout: float = 600,
        record: str | None = None,
        check: bool = True,
    ):
        cmd = [*self.base(*profiles), *args]
        t0 = time.monotonic()
        proc = subprocess.run(
            cmd,
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, **(env or {})},
        )
        seconds = time.monotonic() - t0
        if record:
            # What a user types: `docker compose ...` from the repository.
            self.transcript[record] = {
                "command": "docker compose " + " ".join(args),
                "returncode": proc.returncode,
                "output": proc.stdout + proc.stderr,
                "seconds": round(seconds, 1),
            }
        if check and proc.returncode != 0:
            raise AssertionError(
                f"{' '.join(cmd)} exited {proc.returncode}\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}"
            )
        return proc

    def health(self, profiles: tuple[str, ...] = ()) -> dict[str, str]:
        out = self.run("ps", "--format", "json", profiles=profiles).stdout
        rows = [json.loads(line) for line in out.splitlines() if line.strip().startswith("{")]
        if len(rows) == 1 and isinstance(rows[0], list):
            rows = rows[0]
        return {r["Name"]: r.get("Health") or r.get("State", "") for r in rows}

    def wait_healthy(
        self, expected: int, profiles: tuple[str, ...] = (), timeout: float = 420
    ) -> dict[str, str]:
        deadline = time.monotonic() + timeout
        while True:
            health = self.health(profiles)
            if len(health) >= expected and all(h == "healthy" for h in health.values()):
                return health
            if time.monotonic() > deadline:
                logs = self.run("logs", "--tail", "30", profiles=profiles, check=False).stdout
                raise AssertionError(
                    f"not all healthy after {timeout:.0f} s: {health}\n{logs[-6000:]}"
                )
            time.sleep(3)


def _timed(label: str, t0: float) -> None:
    print(f"compose timing: {label} {time.monotonic() - t0:.0f} s", flush=True)


@pytest.fixture(scope="session")
def compose() -> Compose:
    settings = load_settings()
    c = Compose(settings)
    t0 = time.monotonic()
    # Step 1 of the compose file's header: .env from the lab's own secrets.
    text = subprocess.run(
        [str(Path(os.sys.executable).parent / "airflow-lab"), "compose-env"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    from airflow_lab.credentials import write_private

    write_private(c.env_file, text)
    c.run("down", "-v", "--remove-orphans", profiles=("celery", "debug"), check=False)
    try:
        c.run("up", "airflow-init", record="init", timeout=900)
        _timed("up airflow-init", t0)
        t1 = time.monotonic()
        c.run("up", "-d", timeout=900)
        c.wait_healthy(expected=6)
        _timed("up -d until healthy", t1)
        c.run("ps", "--format", "table {{.Service}}\t{{.Status}}", record="ps")
        yield c
    finally:
        t2 = time.monotonic()
        c.run("down", "-v", "--remove-orphans", profiles=("celery", "debug"), check=False)
        _timed("down -v", t2)
        left = subprocess.run(
            ["docker", "ps", "-a", "-q", "--filter", f"label=com.docker.compose.project={PROJECT}"],
            capture_output=True,
            text=True,
        ).stdout.split()
        left += subprocess.run(
            [
                "docker",
                "volume",
                "ls",
                "-q",
                "--filter",
                f"label=com.docker.compose.project={PROJECT}",
            ],
            capture_output=True,
            text=True,
        ).stdout.split()
        left += subprocess.run(
            [
                "docker",
                "network",
                "ls",
                "-q",
                "--filter",
                f"label=com.docker.compose.project={PROJECT}",
            ],
            capture_output=True,
            text=True,
        ).stdout.split()
        RESULTS["left_behind"] = left
        if c.transcript:
            TRANSCRIPT.write_text(json.dumps(c.transcript, indent=1) + "\n")


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if RESULTS.get("left_behind"):
        terminalreporter.write_line(
            f"compose stack: left behind after down -v: {RESULTS['left_behind']}"
        )
    terminalreporter.write_line(
        f"compose stack: {RESULTS['healthy']} services healthy, "
        f"nft-pipeline rows {RESULTS['rows']}, notebooks {RESULTS['notebooks']} passed"
    )


def pytest_sessionfinish(session, exitstatus) -> None:
    # `down -v` must leave no container, volume or network of the project.
    if RESULTS.get("left_behind"):
        session.exitstatus = 1
