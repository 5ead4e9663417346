"""The lab's processes and ports: who holds a port, which processes are ours, ending them.

Every question the stack asks about the operating system's processes is answered
here, once: before ``up`` (is a port taken? did a crashed stack leave processes
behind?), by ``down`` (end supervisord's tree and any stray), and as a scheduler
starts (end the LocalExecutor workers a killed scheduler left).
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
from collections.abc import Callable, Iterable
from pathlib import Path

import psutil

from airflow_lab.errors import PortBusyError
from airflow_lab.settings import Settings, env_var

#: The process title Airflow gives a LocalExecutor's worker processes.
LOCAL_WORKER_TITLE = "airflow worker -- LocalExecutor"


def port_open(host: str, port: int) -> bool:
    """Does something accept TCP connections on ``host:port``?"""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def port_owner(host: str, port: int) -> str | None:
    """Who listens on ``port`` (``"pid 12 (python)"``), or None when it is free to bind."""
    try:
        conns = psutil.net_connections(kind="tcp")
    except psutil.AccessDenied:
        conns = []
    for conn in conns:
        if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port:
            if conn.pid:
                with contextlib.suppress(psutil.Error):
                    return f"pid {conn.pid} ({psutil.Process(conn.pid).name()})"
            return "another process"
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return "another process"
    return None


def busy_ports(settings: Settings, services: Iterable[str]) -> list[PortBusyError]:
    """One error per port a service needs that another process holds."""
    from airflow_lab.settings import SERVICE_PORTS

    busy = []
    for name in services:
        port = settings.port_of(name)
        if port is None:
            continue
        owner = port_owner(settings.host, port)
        if owner:
            busy.append(PortBusyError(name, port, owner, env_var(SERVICE_PORTS[name])))
    return busy


def check_ports(settings: Settings, services: Iterable[str]) -> None:
    """Fail early, naming the holder, when a port we need is taken."""
    busy = busy_ports(settings, services)
    if busy:
        raise busy[0]


def names_path(path: Path) -> Callable[[str], bool]:
    """A test: does a command line name ``path`` itself or a file under it?

    Not a plain substring test: ``.lab`` must not match ``.lab-test/pgdata``, the
    test stack's folder beside it.
    """
    pattern = re.compile(re.escape(str(path)) + r"(?![\w.-])")
    return lambda text: bool(pattern.search(text))


def supervisor_tree(settings: Settings) -> list[psutil.Process]:
    """supervisord (from its pid file) and every process below it."""
    try:
        proc = psutil.Process(int(settings.supervisor_pidfile.read_text().strip()))
        return [proc, *proc.children(recursive=True)]
    except (OSError, ValueError, psutil.Error):
        return []


def supervisord_alive(settings: Settings) -> int | None:
    """The pid of this lab's supervisord if its pid file names a live one."""
    with contextlib.suppress(ValueError, OSError, psutil.Error):
        pid = int(settings.supervisor_pidfile.read_text().strip())
        if psutil.pid_exists(pid) and "supervisord" in " ".join(psutil.Process(pid).cmdline()):
            return pid
    return None


def strays(settings: Settings) -> list[psutil.Process]:
    """Processes of this lab that live outside supervisord's tree.

    A scheduler killed with SIGKILL leaves its LocalExecutor workers behind, adopted
    by init; a supervisord killed alone leaves every service behind. They are ours
    if their command line names the lab's folder, or if they are Airflow processes
    working in it or below it (supervisord starts every service there, a Celery
    worker in a folder of its own; Airflow rewrites its processes' titles and
    environment, so the working directory is what remains).
    """
    names_home = names_path(settings.home)
    me = {os.getpid(), *(p.pid for p in psutil.Process().parents())}
    found = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        if proc.pid in me:
            continue
        try:
            cmdline = " ".join(proc.info["cmdline"] or []) or proc.info["name"] or ""
            ours = names_home(cmdline) or (
                cmdline.startswith(("airflow", "celery")) and names_home(proc.cwd())
            )
        except psutil.Error:
            continue
        if ours:
            found.append(proc)
    return found


def kill(procs: list[psutil.Process], grace: float, *, terminate: bool = True) -> None:
    """SIGTERM (unless already asked to stop), then SIGKILL what is alive after ``grace`` s."""
    for proc in procs if terminate else ():
        with contextlib.suppress(psutil.Error):
            proc.terminate()
    _, alive = psutil.wait_procs(procs, timeout=grace)
    for proc in alive:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    psutil.wait_procs(alive, timeout=5)


def reap_orphaned_local_workers(home: str) -> int:
    """Kill LocalExecutor workers of the lab at ``home`` (their working directory).

    Called only as a scheduler starts: supervisord runs one scheduler per lab and
    starts it again only after the last one exited, so any such worker is an orphan.
    They inherited the dead scheduler's database socket, so its open transaction
    (and the row locks it holds) outlives it, and the new scheduler would wait on
    those locks forever.
    """
    orphans = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        with contextlib.suppress(psutil.Error):
            title = " ".join(proc.info["cmdline"] or []) or proc.info["name"] or ""
            if title.startswith(LOCAL_WORKER_TITLE) and proc.cwd() == home:
                orphans.append(proc)
    for proc in orphans:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    psutil.wait_procs(orphans, timeout=5)
    return len(orphans)
