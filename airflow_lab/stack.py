"""Bring the lab stack up and down, in dependency order, each step health-checked.

``up`` is idempotent: on a healthy stack it does nothing and says so. Only one
``up``/``down`` runs at a time (a file lock), and an interrupted ``up`` stops what
it started, so nothing is left half-started.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil

from airflow_lab import postgres
from airflow_lab.config import airflow_env, venv_bin, write_env_file
from airflow_lab.credentials import Credentials, load_credentials
from airflow_lab.errors import LabError, PortBusyError, ServiceError, StackBusyError
from airflow_lab.services import (
    Service,
    build_services,
    health_checker,
    process_table,
    supervisor,
    supervisor_running,
    write_supervisor_conf,
)
from airflow_lab.settings import AIRFLOW_VERSION, DAG_ID, Settings, load_settings

Report = Callable[[str], None]

PORT_ENV = {
    "api-server": "AIRFLOW_LAB_API_PORT",
    "postgres": "AIRFLOW_LAB_POSTGRES_PORT",
    "nft-api": "AIRFLOW_LAB_NFT_API_PORT",
    "jupyter": "AIRFLOW_LAB_JUPYTER_PORT",
    "broker": "AIRFLOW_LAB_BROKER_PORT",
}


@dataclass
class ServiceStatus:
    name: str
    state: str
    pid: int | None
    port: int | None
    healthy: bool


def _quiet(_: str) -> None:
    pass


@contextlib.contextmanager
def stack_lock(settings: Settings) -> Iterator[None]:
    """Serialise up/down/reset: a second caller is told, not queued."""
    settings.run_dir.mkdir(parents=True, exist_ok=True)
    fh = open(settings.run_dir / "stack.lock", "w")
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as e:
            raise StackBusyError(
                f"another airflow-lab command is changing the stack at {settings.home}",
                hint="wait for it to finish, then run `airflow-lab status`",
            ) from e
        yield
    finally:
        fh.close()


def wait_for(check: Callable[[], bool], timeout: float, interval: float = 0.2) -> bool:
    """Poll ``check`` until it is true or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)


def _port_owner(port: int) -> str | None:
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
    import socket

    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return "another process"
    return None


def check_ports(services: list[Service]) -> None:
    """Fail early, naming the holder, when a port we need is taken."""
    for svc in services:
        if svc.port is None:
            continue
        owner = _port_owner(svc.port)
        if owner:
            raise PortBusyError(svc.name, svc.port, owner, PORT_ENV.get(svc.name, "the port"))


def _start_supervisord(settings: Settings) -> None:
    pidfile = settings.run_dir / "supervisord.pid"
    if pidfile.exists():  # stale pid file from a crash: supervisord would refuse to start
        with contextlib.suppress(ValueError, OSError):
            pid = int(pidfile.read_text().strip())
            if psutil.pid_exists(pid) and "supervisord" in " ".join(psutil.Process(pid).cmdline()):
                raise LabError(
                    f"a supervisord (pid {pid}) for this lab is running but not answering",
                    hint="run `airflow-lab down`, or kill it",
                )
        pidfile.unlink(missing_ok=True)
    settings.supervisor_socket.unlink(missing_ok=True)
    result = subprocess.run(
        [str(venv_bin() / "supervisord"), "-c", str(settings.supervisor_conf)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0 or not wait_for(lambda: supervisor_running(settings), 10):
        raise ServiceError(
            "supervisord",
            f"did not start (exit {result.returncode})",
            str(settings.logs_dir / "supervisord.log"),
        )


def _start_service(
    settings: Settings, name: str, healthy: Callable[[str], bool], timeout: float
) -> None:
    state = process_table(settings).get(name, {}).get("statename")
    if state not in ("RUNNING", "STARTING"):
        try:
            supervisor(settings).startProcess(name, False)
        except Exception as e:  # xmlrpc Fault: ALREADY_STARTED etc.
            if "ALREADY_STARTED" not in str(e):
                raise ServiceError(
                    name, f"could not start: {e}", str(settings.logs_dir / f"{name}.log")
                ) from e
    if not wait_for(lambda: healthy(name), timeout):
        state = process_table(settings).get(name, {}).get("statename", "?")
        raise ServiceError(
            name,
            f"not healthy after {timeout:.0f} s (state {state})",
            str(settings.logs_dir / f"{name}.log"),
        )


def airflow_cli(
    settings: Settings,
    creds: Credentials,
    *args: str,
    timeout: float = 300,
    executor: str = "LocalExecutor",
) -> subprocess.CompletedProcess:
    """Run ``airflow <args>`` against this lab: its config, its metastore, its connections."""
    env = {**os.environ, **airflow_env(settings, creds, executor=executor)}
    return subprocess.run(
        [str(venv_bin() / "airflow"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _migrate(settings: Settings, creds: Credentials, report: Report) -> None:
    marker = settings.run_dir / f"migrated-{AIRFLOW_VERSION}"
    if marker.exists():
        report("metastore   already migrated")
        return
    t0 = time.monotonic()
    result = airflow_cli(settings, creds, "db", "migrate")
    (settings.logs_dir / "migrate.log").write_text(result.stdout + result.stderr)
    if result.returncode != 0:
        raise ServiceError("metastore", "migration failed", str(settings.logs_dir / "migrate.log"))
    marker.write_text(time.strftime("%Y-%m-%dT%H:%M:%S"))
    report(f"metastore   migrated (airflow db migrate, {time.monotonic() - t0:.1f} s)")


def _dag_parsed(settings: Settings) -> bool:
    from airflow_lab.api import AirflowApi

    try:
        return AirflowApi(settings).dag_exists(DAG_ID)
    except LabError:
        return False


def _profile_file(settings: Settings):
    return settings.run_dir / "profile"


def current_profile(settings: Settings) -> str:
    path = _profile_file(settings)
    return path.read_text().strip() if path.exists() else "core"


def up(
    settings: Settings | None = None,
    profile: str = "core",
    jupyter: bool = False,
    report: Report = _quiet,
) -> float:
    """Start the stack; returns seconds taken (0.0 when it was already healthy)."""
    settings = settings or load_settings()
    settings.home.mkdir(parents=True, exist_ok=True)
    with stack_lock(settings):
        t0 = time.monotonic()
        plain_report = report

        def report(line: str) -> None:
            plain_report(f"{line}  [{time.monotonic() - t0:.1f} s]")

        creds = load_credentials(settings)
        settings.learner_dags.mkdir(parents=True, exist_ok=True)
        running = supervisor_running(settings)
        if running and current_profile(settings) != profile:
            raise LabError(
                f"the stack is running with profile '{current_profile(settings)}'",
                hint=f"run `airflow-lab down` first, then `airflow-lab up --profile {profile}`",
            )
        services = build_services(settings, creds, profile)
        wanted = [
            s
            for s in services
            if s.profile in ("core", profile) or (jupyter and s.profile == "jupyter")
        ]
        healthy = health_checker(settings, creds)
        if running and all(healthy(s.name) for s in wanted):
            report("the stack is already up and healthy: nothing to do")
            return 0.0
        if not running:
            # After a crash: what the last stack left running would hold its ports.
            strays = _strays(settings)
            if strays:
                _kill(strays, grace=10)
                report(f"stopped {len(strays)} process(es) a crashed stack left behind")
            check_ports(wanted)
            if (
                profile == "celery"
                and not settings.broker_url
                and not any(s.name == "broker" for s in services)
            ):
                from airflow_lab.errors import MissingBinaryError

                raise MissingBinaryError(
                    "no Redis-protocol broker found",
                    hint="install valkey-server or redis-server, or set AIRFLOW_LAB_BROKER_URL=redis://HOST:PORT/0",
                )
        write_env_file(
            settings,
            airflow_env(
                settings,
                creds,
                executor="CeleryExecutor" if profile == "celery" else "LocalExecutor",
            ),
        )
        try:
            if settings.embedded_postgres and postgres.ensure_initialized(settings, creds):
                report("postgres    initialised a new data directory")
            write_supervisor_conf(settings, services)
            _profile_file(settings).write_text(profile)
            if not running:
                _start_supervisord(settings)
            else:
                supervisor(settings).reloadConfig()
            order = [s.name for s in wanted]
            if "postgres" in order:
                _start_service(settings, "postgres", healthy, 60)
                report(f"postgres    healthy on {settings.host}:{settings.postgres_port}")
            elif not postgres.is_ready(settings, creds):
                raise ServiceError("postgres", f"at {settings.database_url} is not reachable")
            postgres.ensure_databases(settings, creds)
            _migrate(settings, creds, report)
            rest = [n for n in order if n != "postgres"]
            # Start everything, then wait: the processes boot in parallel on two cores.
            for name in rest:
                if process_table(settings).get(name, {}).get("statename") not in (
                    "RUNNING",
                    "STARTING",
                ):
                    supervisor(settings).startProcess(name, False)
            for name in rest:
                _start_service(settings, name, healthy, 240)
                report(f"{name:<11} healthy")
            if not wait_for(lambda: _dag_parsed(settings), 180, 0.5):
                raise ServiceError(
                    "dag-processor",
                    f"did not parse {DAG_ID} within 180 s",
                    str(settings.logs_dir / "dag-processor.log"),
                )
            report(f"dags        {DAG_ID} parsed")
        except BaseException:
            # Ctrl-C or a failure: stop what we started rather than leave it half-up.
            if not running:
                with contextlib.suppress(Exception):
                    _shutdown(settings)
            raise
        return time.monotonic() - t0


def _supervisor_tree(settings: Settings) -> list[psutil.Process]:
    pidfile = settings.run_dir / "supervisord.pid"
    try:
        proc = psutil.Process(int(pidfile.read_text().strip()))
        return [proc, *proc.children(recursive=True)]
    except (OSError, ValueError, psutil.Error):
        return []


def names_path(path: Path) -> Callable[[str], bool]:
    """A test: does a command line name ``path`` itself or a file under it?

    Not a plain substring test: ``.lab`` must not match ``.lab-test/pgdata``, the
    test stack's folder beside it.
    """
    pattern = re.compile(re.escape(str(path)) + r"(?![\w.-])")
    return lambda text: bool(pattern.search(text))


def _strays(settings: Settings) -> list[psutil.Process]:
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


def _kill(procs: list[psutil.Process], grace: float) -> None:
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            proc.terminate()
    _, alive = psutil.wait_procs(procs, timeout=grace)
    for proc in alive:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    psutil.wait_procs(alive, timeout=5)


def _shutdown(settings: Settings) -> None:
    procs = _supervisor_tree(settings)
    if supervisor_running(settings):
        with contextlib.suppress(Exception):
            supervisor(settings).stopAllProcesses(True)
        with contextlib.suppress(Exception):
            supervisor(settings).shutdown()
    _, alive = psutil.wait_procs(procs, timeout=20)
    for proc in alive:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    psutil.wait_procs(alive, timeout=5)
    _kill(_strays(settings), grace=5)
    (settings.run_dir / "supervisord.pid").unlink(missing_ok=True)
    settings.supervisor_socket.unlink(missing_ok=True)


def down(settings: Settings | None = None, report: Report = _quiet) -> bool:
    """Stop everything ``up`` started, and nothing else. Returns False if nothing ran."""
    settings = settings or load_settings()
    if not settings.home.exists():
        report("no lab here: nothing to stop")
        return False
    with stack_lock(settings):
        if not supervisor_running(settings) and not _supervisor_tree(settings):
            strays = _strays(settings)
            if strays:
                _kill(strays, grace=10)
                report(f"stopped {len(strays)} process(es) a crashed stack left behind")
                return True
            report("the stack is not running")
            return False
        _shutdown(settings)
        report("the stack is stopped")
        return True


def status(settings: Settings | None = None) -> list[ServiceStatus]:
    settings = settings or load_settings()
    if not settings.secrets_file.exists():
        return []
    creds = load_credentials(settings, create=False)
    table = process_table(settings)
    healthy = health_checker(settings, creds)
    rows = []
    for svc in build_services(settings, creds, current_profile(settings)):
        info = table.get(svc.name)
        if info is None:
            continue
        state = info["statename"]
        if svc.profile == "jupyter" and state == "STOPPED":
            continue
        rows.append(
            ServiceStatus(
                svc.name,
                state,
                info["pid"] or None,
                svc.port,
                state == "RUNNING" and healthy(svc.name),
            )
        )
    return rows


def reset(settings: Settings | None = None, report: Report = _quiet) -> None:
    """Stop the stack and delete its state (database, logs, secrets): a clean start."""
    settings = settings or load_settings()
    down(settings, report)
    if settings.home.exists():
        shutil.rmtree(settings.home)
        report(f"removed {settings.home}")
