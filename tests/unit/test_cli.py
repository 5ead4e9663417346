"""airflow_lab.cli: the commands' output and exit codes, for a lab that never ran.

Through typer's CliRunner on ``app``, and through ``main`` (the ``airflow-lab``
script), which turns the kit's errors into one ``error:`` line and exit code 1.
Every lab here lives in a fresh folder with free ports (the ``lab_env`` fixture).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from typer.testing import CliRunner

from airflow_lab import cli
from airflow_lab.settings import Settings

COMMANDS = ("up", "lab", "down", "status", "doctor", "logs", "demo", "reset", "nft-api")


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A console wide enough that a line is never wrapped: 'one line' means one line."""
    monkeypatch.setattr(cli.console, "width", 400)
    yield


def _lines(text: str) -> list[str]:
    return [line for line in click.unstyle(text).splitlines() if line.strip()]


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(cli.app, ["--help"])
    assert result.exit_code == 0
    for command in COMMANDS:
        assert any(line.split()[1:2] == [command] for line in _lines(result.output)), command


def test_no_command_shows_the_help(capsys: pytest.CaptureFixture) -> None:
    rc = cli.main([])
    out = capsys.readouterr()
    assert rc == 2
    assert "reset" in out.out + out.err


def test_status_without_a_stack_exits_1_and_says_so(lab_env: Settings) -> None:
    result = CliRunner().invoke(cli.app, ["status"])
    assert result.exit_code == 1
    assert _lines(result.output) == [
        f"The stack in {lab_env.home} is not running. Start it with `airflow-lab up`."
    ]


def test_an_unknown_profile_is_one_error_line(
    lab_env: Settings, capsys: pytest.CaptureFixture
) -> None:
    assert cli.main(["up", "--profile", "kubernetes"]) == 1
    assert _lines(capsys.readouterr().out) == [
        "error: unknown profile 'kubernetes': use --profile core or --profile celery"
    ]
    assert not lab_env.home.exists()  # refused before touching anything


def test_logs_of_an_unknown_service_names_the_known_logs(
    lab_env: Settings, capsys: pytest.CaptureFixture
) -> None:
    lab_env.logs_dir.mkdir(parents=True)
    for name in ("scheduler", "api-server"):
        (lab_env.logs_dir / f"{name}.log").write_text(f"{name} line 1\n{name} line 2\n")
    assert cli.main(["logs", "schedular"]) == 1
    assert _lines(capsys.readouterr().out) == [
        "error: no log for 'schedular': known logs: api-server, scheduler"
    ]


def test_logs_of_a_service_prints_its_last_lines(lab_env: Settings) -> None:
    lab_env.logs_dir.mkdir(parents=True)
    (lab_env.logs_dir / "scheduler.log").write_text("".join(f"line {i}\n" for i in range(50)))
    result = CliRunner().invoke(cli.app, ["logs", "scheduler", "-n", "3"])
    assert result.exit_code == 0
    assert _lines(result.output)[-3:] == ["line 47", "line 48", "line 49"]
    assert "line 46" not in result.output


def test_logs_before_any_run_says_none_yet(
    lab_env: Settings, capsys: pytest.CaptureFixture
) -> None:
    assert cli.main(["logs", "scheduler"]) == 1
    assert "known logs: none yet" in capsys.readouterr().out


def test_doctor_prints_one_line_per_check(lab_env: Settings) -> None:
    from airflow_lab.doctor import run_checks

    expected = run_checks(lab_env)
    result = CliRunner().invoke(cli.app, ["doctor"])
    lines = _lines(result.output)
    assert len(lines) == len(expected)
    for line, check in zip(lines, expected, strict=True):
        mark, name, *_ = line.split()
        assert (mark.lower(), name) == (check.level, check.name)
        assert line.rstrip().endswith(check.message)
    assert result.exit_code == (1 if any(c.level == "fail" for c in expected) else 0)


def test_reset_yes_on_an_empty_home_removes_it(lab_env: Settings) -> None:
    lab_env.home.mkdir(parents=True)
    (lab_env.home / "leftover.txt").write_text("x")
    result = CliRunner().invoke(cli.app, ["reset", "--yes"])
    assert result.exit_code == 0, result.output
    assert not lab_env.home.exists()
    assert f"removed {lab_env.home}" in result.output


def test_reset_yes_where_no_lab_ever_was(lab_env: Settings) -> None:
    result = CliRunner().invoke(cli.app, ["reset", "--yes"])
    assert result.exit_code == 0, result.output
    assert "nothing to stop" in result.output
    assert not lab_env.home.exists()


def test_reset_asks_first_and_no_keeps_everything(lab_env: Settings) -> None:
    lab_env.home.mkdir(parents=True)
    result = CliRunner().invoke(cli.app, ["reset"], input="n\n")
    assert result.exit_code == 1
    assert f"Delete {lab_env.home}" in result.output
    assert lab_env.home.is_dir()


def test_down_where_nothing_runs(lab_env: Settings, capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["down"]) == 0
    assert "nothing to stop" in capsys.readouterr().out


def test_a_command_needing_the_stack_is_one_error_line(
    lab_env: Settings, capsys: pytest.CaptureFixture
) -> None:
    """demo needs the lab's secrets: a LabError (StackDownError), shown as one line."""
    assert cli.main(["demo"]) == 1
    lines = _lines(capsys.readouterr().out)
    assert len(lines) == 2  # what it does, then the error
    assert lines[-1] == (
        f"error: the lab at {lab_env.home} is not running: "
        "start it with `airflow-lab up` (or `make lab`)"
    )


def test_a_usage_error_exits_2(capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["no-such-command"]) == 2
    assert "No such command" in capsys.readouterr().err


def test_the_script_entry_point_is_main() -> None:
    import tomllib

    project = tomllib.loads((Path(cli.__file__).parents[1] / "pyproject.toml").read_text())
    assert project["project"]["scripts"]["airflow-lab"] == "airflow_lab.cli:main"
