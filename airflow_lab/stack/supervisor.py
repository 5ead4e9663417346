"""supervisord, which runs the stack's services: its config file and its client.

Each service is a foreground command; ``supervisord`` (a well-kept process
supervisor) daemonizes, restarts what dies, keeps the logs and stops whole process
groups. The kit writes its config and talks to it over its UNIX socket with
supervisor's own XML-RPC transport, and reads its answers by their fault codes.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import xmlrpc.client
from typing import Any

from supervisor.xmlrpc import Faults, SupervisorTransport

from airflow_lab.credentials import write_private
from airflow_lab.errors import LabError, ServiceError
from airflow_lab.settings import Settings
from airflow_lab.stack.airflow_config import venv_bin
from airflow_lab.stack.processes import supervisord_alive
from airflow_lab.stack.services import Service
from airflow_lab.waiting import wait_until

#: Supervisor's states of a program that is up or on its way up.
ACTIVE_STATES = ("RUNNING", "STARTING")


def _launch_command(settings: Settings, svc: Service) -> str:
    """Wrap a command so it starts with its environment from a private JSON file."""
    if not svc.env:
        return svc.command.replace("%", "%%")
    env_file = settings.service_env_dir / f"{svc.name}.json"
    write_private(env_file, json.dumps(svc.env))
    nice = ["--nice", str(svc.nice)] if svc.nice else []
    launcher = shlex.join(
        [sys.executable, "-m", "airflow_lab.stack.launch", str(env_file), *nice, "--"]
    )
    return f"{launcher} {svc.command}".replace("%", "%%")


def write_conf(settings: Settings, services: list[Service]) -> None:
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
        f"pidfile={settings.supervisor_pidfile}",
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


def client(settings: Settings) -> Any:
    """An XML-RPC proxy to the running supervisord's ``supervisor.*`` methods."""
    transport = SupervisorTransport(None, None, f"unix://{settings.supervisor_socket}")
    return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport).supervisor


def running(settings: Settings) -> bool:
    """Does this lab's supervisord answer on its socket?"""
    if not settings.supervisor_socket.exists():
        return False
    try:
        return client(settings).getState()["statename"] == "RUNNING"
    except (OSError, xmlrpc.client.Error):
        return False


def process_table(settings: Settings) -> dict[str, dict]:
    """Supervisor's view of each program: its state (``statename``) and pid."""
    if not running(settings):
        return {}
    return {p["name"]: p for p in client(settings).getAllProcessInfo()}


def state_of(settings: Settings, name: str) -> str | None:
    return process_table(settings).get(name, {}).get("statename")


def start(settings: Settings) -> None:
    """Start supervisord (it daemonizes), after clearing what a crashed one left."""
    pid = supervisord_alive(settings)
    if pid:
        raise LabError(
            f"a supervisord (pid {pid}) for this lab is running but not answering",
            hint="run `airflow-lab down`, or kill it",
        )
    settings.supervisor_pidfile.unlink(missing_ok=True)  # stale: supervisord would refuse
    settings.supervisor_socket.unlink(missing_ok=True)
    result = subprocess.run(
        [str(venv_bin() / "supervisord"), "-c", str(settings.supervisor_conf)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0 or not wait_until(lambda: running(settings), 10):
        raise ServiceError(
            "supervisord",
            f"did not start (exit {result.returncode})",
            str(settings.logs_dir / "supervisord.log"),
        )


def start_program(settings: Settings, name: str) -> None:
    """Ask supervisord to start one program, without waiting; started already is fine."""
    if state_of(settings, name) in ACTIVE_STATES:
        return
    try:
        client(settings).startProcess(name, False)
    except xmlrpc.client.Fault as e:
        if e.faultCode != Faults.ALREADY_STARTED:
            raise ServiceError(
                name, f"could not start: {e.faultString}", str(settings.logs_dir / f"{name}.log")
            ) from e


def reload(settings: Settings) -> None:
    """Re-read the config file: programs added since supervisord started become known."""
    client(settings).reloadConfig()


def stop_all(settings: Settings) -> None:
    """Stop every program (waiting for them), then supervisord itself."""
    proxy = client(settings)
    try:
        proxy.stopAllProcesses(True)
        proxy.shutdown()
    except (OSError, xmlrpc.client.Error):
        pass  # already gone: ``down`` ends whatever is left by pid
