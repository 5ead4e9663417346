"""``airflow-lab``: the stack's command line. Thin: it parses, delegates, and prints.

Every command catches the kit's root error once and prints its one-line message
(which says what to do); a traceback means a bug in the kit.
"""

from __future__ import annotations

import sys
import time
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from airflow_lab.errors import LabError
from airflow_lab.settings import DAG_ID, load_settings

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Run the airflow-lab stack: Airflow 3.3, PostgreSQL and the NFT API, no Docker.",
)
console = Console(highlight=False)


def _report(line: str) -> None:
    console.print(f"  [green]✓[/green] {line}")


def _where(settings) -> None:
    from airflow_lab.credentials import load_credentials

    creds = load_credentials(settings, create=False)
    # soft_wrap: a URL or path cut in two by the terminal width cannot be copied.
    console.print(
        f"  Airflow UI   {settings.api_url}   (user admin, password in {settings.passwords_file})",
        soft_wrap=True,
    )
    console.print(f"  NFT API      {settings.nft_api_url}/health")
    console.print(
        f"  PostgreSQL   {settings.host}:{settings.postgres_port}"
        if settings.embedded_postgres
        else "  PostgreSQL   external (AIRFLOW_LAB_DATABASE_URL)"
    )
    console.print(f"  airflow CLI  source {settings.env_file}", soft_wrap=True)
    del creds


@app.command()
def up(
    profile: Annotated[
        str, typer.Option(help="core (LocalExecutor) or celery (CeleryExecutor, 2 workers)")
    ] = "core",
    jupyter: Annotated[bool, typer.Option(help="also start JupyterLab on the notebooks")] = False,
) -> None:
    """Start the stack (idempotent): PostgreSQL, migration, Airflow, the NFT API."""
    from airflow_lab import stack

    if profile not in ("core", "celery"):
        raise LabError(
            f"unknown profile '{profile}'", hint="use --profile core or --profile celery"
        )
    settings = load_settings()
    console.print(f"Starting the lab stack in {settings.home} (profile {profile})")
    seconds = stack.up(settings, profile=profile, jupyter=jupyter, report=_report)
    if seconds:
        console.print(f"[bold]Ready in {seconds:.1f} s.[/bold]")
    _where(settings)


@app.command()
def lab() -> None:
    """Start the stack and JupyterLab, then print the URLs (what `make lab` runs)."""
    from airflow_lab import stack
    from airflow_lab.credentials import load_credentials

    settings = load_settings()
    seconds = stack.up(
        settings,
        profile=stack.current_profile(settings) if settings.secrets_file.exists() else "core",
        jupyter=True,
        report=_report,
    )
    if seconds:
        console.print(f"[bold]Ready in {seconds:.1f} s.[/bold]")
    creds = load_credentials(settings, create=False)
    console.print(
        f"  JupyterLab   {settings.jupyter_url}/lab?token={creds.jupyter_token}", soft_wrap=True
    )
    _where(settings)


@app.command()
def down() -> None:
    """Stop everything `up` started, and nothing else."""
    from airflow_lab import stack

    stack.down(load_settings(), report=_report)


@app.command()
def status() -> None:
    """Each service with its pid, port and health."""
    from airflow_lab import stack

    settings = load_settings()
    rows = stack.status(settings)
    if not rows:
        console.print(
            f"The stack in {settings.home} is not running. Start it with `airflow-lab up`."
        )
        raise typer.Exit(1)
    table = Table("service", "state", "pid", "port", "health")
    for row in rows:
        table.add_row(
            row.name,
            row.state,
            str(row.pid or "-"),
            str(row.port or "-"),
            "[green]healthy[/green]" if row.healthy else "[red]unhealthy[/red]",
        )
    console.print(table)
    if not all(r.healthy for r in rows):
        raise typer.Exit(1)


@app.command()
def doctor() -> None:
    """Check Python, the venv, binaries, ports, disk and the stack, and say what to fix."""
    from airflow_lab.doctor import run_checks

    problems = 0
    for check in run_checks(load_settings()):
        mark = {
            "ok": "[green]ok[/green]  ",
            "warn": "[yellow]warn[/yellow]",
            "fail": "[red]FAIL[/red]",
        }[check.level]
        console.print(f"  {mark} {check.name:<14} {check.message}")
        problems += check.level == "fail"
    if problems:
        raise typer.Exit(1)


@app.command()
def logs(
    service: Annotated[str | None, typer.Argument(help="a service name; all when omitted")] = None,
    lines: Annotated[int, typer.Option("-n", help="lines per service")] = 40,
) -> None:
    """The last lines of a service's log (files under .lab/logs)."""
    settings = load_settings()
    files = sorted(settings.logs_dir.glob("*.log")) if settings.logs_dir.exists() else []
    if service:
        files = [f for f in files if f.stem == service]
        if not files:
            names = ", ".join(sorted(f.stem for f in settings.logs_dir.glob("*.log"))) or "none yet"
            raise LabError(f"no log for '{service}'", hint=f"known logs: {names}")
    for path in files:
        console.rule(str(path))
        text = path.read_text(errors="replace").splitlines()[-lines:]
        console.print("\n".join(text), markup=False)


@app.command()
def demo(limit: Annotated[int, typer.Option(help="NFTs to fetch")] = 20) -> None:
    """Trigger nft-pipeline through the REST API, wait for it, print the stored rows."""
    from airflow_lab import db
    from airflow_lab.api import AirflowApi

    settings = load_settings()
    api = AirflowApi(settings)
    t0 = time.monotonic()
    console.print(f"POST {settings.api_url}/api/v2/dags/{DAG_ID}/dagRuns ...")
    run = api.run_dag(DAG_ID, conf={"limit": limit})
    console.print(
        f"run {run['dag_run_id']}: [bold]{run['state']}[/bold] in {time.monotonic() - t0:.1f} s"
    )
    rows = db.nft_rows(settings)
    table = Table("token_id", "name", "image_url", title=f"nfts ({len(rows)} rows)")
    for rec in rows.head(limit).itertuples(index=False):
        table.add_row(rec.token_id, repr(rec.name)[1:-1], rec.image_url)
    console.print(table)
    if run["state"] != "success":
        raise LabError(f"{DAG_ID} ended '{run['state']}'", hint="see the task logs in the UI")


@app.command()
def reset(yes: Annotated[bool, typer.Option("--yes", help="do not ask")] = False) -> None:
    """Stop the stack and delete its state under .lab/ (database, logs, secrets)."""
    from airflow_lab import stack

    settings = load_settings()
    if not yes and not typer.confirm(f"Delete {settings.home} and everything in it?"):
        raise typer.Exit(1)
    stack.reset(settings, report=_report)


@app.command("compose-env")
def compose_env() -> None:
    """Print docker-compose.yaml's .env (the lab's secrets and ports): `airflow-lab compose-env > .env`."""
    from airflow_lab.compose_env import main_text

    sys.stdout.write(main_text())


@app.command("nft-api", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def nft_api(ctx: typer.Context) -> None:
    """Run the local OpenSea-compatible NFT API in the foreground (see --help)."""
    from airflow_lab import nft_api as server

    raise typer.Exit(server.main(list(ctx.args)))


def main(argv: list[str] | None = None) -> int:
    """Entry point: run a command, turning the kit's errors into one clear line."""
    try:
        rc = app(args=argv, standalone_mode=False)
        if rc == 130:  # typer turns Ctrl-C into exit code 130, silently
            raise KeyboardInterrupt
    except LabError as e:
        console.print(f"[red]error:[/red] {e}")
        return 1
    except KeyboardInterrupt:
        console.print("[yellow]interrupted[/yellow]: nothing was left half-started")
        return 130
    except typer.Exit as e:
        return e.exit_code
    except Exception as e:  # usage errors: a mistyped command or option, no command
        if _is_usage_error(e):
            e.show()  # type: ignore[attr-defined]
            return e.exit_code  # type: ignore[attr-defined]
        raise
    return rc if isinstance(rc, int) else 0


def _is_usage_error(e: Exception) -> bool:
    """click's usage errors, or those of the copy of click typer ships since 0.2x
    (which derive from ``typer.exceptions.TyperException``, not from click's)."""
    import click

    bases: tuple[type[Exception], ...] = (click.ClickException,)
    try:
        from typer.exceptions import TyperException
    except ImportError:  # an older typer raises click's own
        pass
    else:
        bases += (TyperException,)
    return isinstance(e, bases) and hasattr(e, "show")


if __name__ == "__main__":
    sys.exit(main())
