"""Bring the lab stack up and down, in dependency order, each step health-checked.

``up`` is idempotent: on a healthy stack it does nothing and says so. Only one
``up``/``down``/``reset`` runs at a time (a file lock), and an interrupted ``up``
stops what it started, so nothing is left half-started.
"""

from __future__ import annotations

import contextlib
import fcntl
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from airflow_lab.credentials import Credentials, load_credentials
from airflow_lab.errors import LabError, MissingBinaryError, ServiceError, StackBusyError
from airflow_lab.settings import DAG_ID, Settings, load_settings
from airflow_lab.stack import airflow_cli, health, postgres, processes, supervisor
from airflow_lab.stack.airflow_config import airflow_env, write_env_file
from airflow_lab.stack.services import build_services
from airflow_lab.waiting import wait_until

Report = Callable[[str], None]
PROFILES = ("core", "celery")


@dataclass
class ServiceStatus:
    name: str
    state: str
    pid: int | None
    port: int | None
    healthy: bool


def _quiet(_: str) -> None:
    pass


def executor_for(profile: str) -> str:
    """The executor a profile runs: the celery profile's workers, or the scheduler's own."""
    return "CeleryExecutor" if profile == "celery" else "LocalExecutor"


def current_profile(settings: Settings) -> str:
    """The profile the stack was last started with (core when it never was)."""
    path = settings.profile_file
    return path.read_text().strip() if path.exists() else "core"


@contextlib.contextmanager
def stack_lock(settings: Settings) -> Iterator[None]:
    """Serialise up/down/reset: a second caller is told, not queued."""
    settings.run_dir.mkdir(parents=True, exist_ok=True)
    with open(settings.lock_file, "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as e:
            raise StackBusyError(
                f"another airflow-lab command is changing the stack at {settings.home}",
                hint="wait for it to finish, then run `airflow-lab status`",
            ) from e
        yield


def _await_healthy(
    settings: Settings, name: str, healthy: Callable[[str], bool], timeout: float
) -> None:
    if not wait_until(lambda: healthy(name), timeout):
        state = supervisor.state_of(settings, name) or "?"
        raise ServiceError(
            name,
            f"not healthy after {timeout:.0f} s (state {state})",
            str(settings.logs_dir / f"{name}.log"),
        )


def _migrate(settings: Settings, creds: Credentials, report: Report) -> None:
    """``airflow db migrate``, once per Airflow version (the marker's name holds it).

    The components do not check the schema when they start (the lab turns off
    ``[database] check_migrations``: 2-3 s of a warm start); this is the check.
    """
    marker = settings.migrated_marker
    if marker.exists():
        report("metastore   already migrated")
        return
    t0 = time.monotonic()
    result = airflow_cli.run(settings, creds, "db", "migrate")
    (settings.logs_dir / "migrate.log").write_text(result.stdout + result.stderr)
    if result.returncode != 0:
        raise ServiceError("metastore", "migration failed", str(settings.logs_dir / "migrate.log"))
    marker.write_text(time.strftime("%Y-%m-%dT%H:%M:%S"))
    report(f"metastore   migrated (airflow db migrate, {time.monotonic() - t0:.1f} s)")


def _clear_leftovers(settings: Settings, report: Report) -> None:
    """After a crash, what the last stack left running would hold its ports."""
    strays = processes.strays(settings)
    if strays:
        processes.kill(strays, grace=10)
        report(f"stopped {len(strays)} process(es) a crashed stack left behind")


def up(
    settings: Settings | None = None,
    profile: str = "core",
    jupyter: bool = False,
    report: Report = _quiet,
) -> float:
    """Start the stack; returns seconds taken (0.0 when it was already healthy)."""
    settings = settings or load_settings()
    if profile not in PROFILES:
        raise LabError(
            f"unknown profile '{profile}'", hint="use --profile core or --profile celery"
        )
    settings.home.mkdir(parents=True, exist_ok=True)
    with stack_lock(settings):
        t0 = time.monotonic()
        plain_report = report

        def report(line: str) -> None:
            plain_report(f"{line}  [{time.monotonic() - t0:.1f} s]")

        creds = load_credentials(settings)
        # JupyterLab, once started with the stack (`make lab`), comes back with it.
        jupyter = jupyter or settings.jupyter_file.exists()
        settings.learner_dags.mkdir(parents=True, exist_ok=True)
        running = supervisor.running(settings)
        if running and current_profile(settings) != profile:
            raise LabError(
                f"the stack is running with profile '{current_profile(settings)}'",
                hint=f"run `airflow-lab down` first, then `airflow-lab up --profile {profile}`",
            )
        services = build_services(settings, creds, profile)
        wanted = [
            s.name
            for s in services
            if s.profile in ("core", profile) or (jupyter and s.profile == "jupyter")
        ]
        healthy = health.checker(settings, creds)
        if running and all(healthy(name) for name in wanted):
            report("the stack is already up and healthy: nothing to do")
            return 0.0
        if not running:
            _clear_leftovers(settings, report)
            processes.check_ports(settings, wanted)
            if profile == "celery" and not settings.broker_url and "broker" not in wanted:
                raise MissingBinaryError(
                    "no Redis-protocol broker found",
                    hint="install valkey-server or redis-server, "
                    "or set AIRFLOW_LAB_BROKER_URL=redis://HOST:PORT/0",
                )
        write_env_file(settings, airflow_env(settings, creds, executor=executor_for(profile)))
        try:
            if settings.embedded_postgres and postgres.ensure_initialized(settings, creds):
                report("postgres    initialised a new data directory")
            supervisor.write_conf(settings, services)
            settings.profile_file.write_text(profile)
            if jupyter:
                settings.jupyter_file.touch()
            if running:
                supervisor.reload(settings)
            else:
                supervisor.start(settings)
            if "postgres" in wanted:
                supervisor.start_program(settings, "postgres")
                _await_healthy(settings, "postgres", healthy, 60)
                report(f"postgres    healthy on {settings.host}:{settings.postgres_port}")
            elif not postgres.is_ready(settings, creds):
                raise ServiceError("postgres", f"at {settings.database_url} is not reachable")
            postgres.ensure_databases(settings, creds)
            _migrate(settings, creds, report)
            rest = [name for name in wanted if name != "postgres"]
            # Start everything, then wait: the processes boot in parallel on two cores.
            for name in rest:
                supervisor.start_program(settings, name)
            for name in rest:
                _await_healthy(settings, name, healthy, 240)
                report(f"{name:<11} healthy")
            if not wait_until(lambda: health.dag_parsed(settings, creds), 180, 0.5):
                raise ServiceError(
                    "dag-processor",
                    f"did not parse {DAG_ID} within 180 s",
                    str(settings.logs_dir / "dag-processor.log"),
                )
            report(f"dags        {DAG_ID} parsed")
            # Last: built now it would take the api-server's core from the others.
            health.warm_execution_api(settings)
        except BaseException:
            # Ctrl-C or a failure: stop what we started rather than leave it half-up.
            if not running:
                with contextlib.suppress(Exception):
                    _shutdown(settings)
            raise
        return time.monotonic() - t0


def _shutdown(settings: Settings) -> None:
    procs = processes.supervisor_tree(settings)
    if supervisor.running(settings):
        supervisor.stop_all(settings)
    processes.kill(procs, grace=20, terminate=False)  # supervisord stops them in order
    processes.kill(processes.strays(settings), grace=5)
    settings.supervisor_pidfile.unlink(missing_ok=True)
    settings.supervisor_socket.unlink(missing_ok=True)


def down(settings: Settings | None = None, report: Report = _quiet) -> bool:
    """Stop everything ``up`` started, and nothing else. Returns False if nothing ran."""
    settings = settings or load_settings()
    if not settings.home.exists():
        report("no lab here: nothing to stop")
        return False
    with stack_lock(settings):
        if not supervisor.running(settings) and not processes.supervisor_tree(settings):
            strays = processes.strays(settings)
            if strays:
                processes.kill(strays, grace=10)
                report(f"stopped {len(strays)} process(es) a crashed stack left behind")
                return True
            report("the stack is not running")
            return False
        _shutdown(settings)
        report("the stack is stopped")
        return True


def status(settings: Settings | None = None) -> list[ServiceStatus]:
    """Each service supervisor runs for this lab, with its pid, port and health."""
    settings = settings or load_settings()
    if not settings.secrets_file.exists():
        return []
    creds = load_credentials(settings, create=False)
    table = supervisor.process_table(settings)
    healthy = health.checker(settings, creds)
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
