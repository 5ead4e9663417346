"""Checkers for notebook 16 · Testing DAGs: a pytest suite for nft-pipeline.

Both exercises are pytest tests. The checker writes the learner's test file beside
the notebook's ``conftest.py`` (the ``dagbag`` fixture: a ``DagBag`` of the folder
named by ``DAGS_UNDER_TEST``) and runs pytest in new processes with the lab's
Airflow environment: once on the kit's ``dags/`` folder, where the test must pass,
and once on each copy of it with a defect planted, where it must fail. The verdict
is what pytest said in each case.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from airflow_lab.checks import Exercise, Mistake, quote

#: The fixture every test of the notebook uses; the notebook writes the same file.
CONFTEST = '''\
"""Fixtures of the nft-pipeline test suite, for the DAG folder named by $DAGS_UNDER_TEST."""

import importlib.util
import os
from pathlib import Path

import pytest
from airflow.dag_processing.dagbag import DagBag

FOLDER = Path(os.environ["DAGS_UNDER_TEST"])


@pytest.fixture(scope="session")
def dagbag():
    """Every DAG file of the folder, imported the way the dag-processor imports it."""
    return DagBag(dag_folder=str(FOLDER))


@pytest.fixture(scope="session")
def pipeline():
    """The module nft_pipeline.py, imported by its path (a DAG folder is no package)."""
    spec = importlib.util.spec_from_file_location("nft_pipeline", FOLDER / "nft_pipeline.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
'''
#: Makes the suite's folder pytest's rootdir, away from the kit's own test settings.
PYTEST_INI = "[pytest]\naddopts = -p no:cacheprovider\n"


def suite_folder(lab: Any, name: str) -> Path:
    """A folder under the lab's home holding ``conftest.py`` and ``pytest.ini``."""
    folder = lab.settings.home / "nb16" / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "conftest.py").write_text(CONFTEST)
    (folder / "pytest.ini").write_text(PYTEST_INI)
    return folder


def pytest_env(lab: Any, dags_folder: Path) -> dict[str, str]:
    """The lab's Airflow environment (``airflow-lab``'s ``AIRFLOW__...`` variables) for pytest."""
    from airflow_lab.stack.airflow_config import airflow_env

    return {
        **os.environ,
        **airflow_env(lab.settings, lab.credentials),
        "DAGS_UNDER_TEST": str(dags_folder),
        "PYTHONDONTWRITEBYTECODE": "1",  # no __pycache__ in the folders under test
    }


@dataclass
class PytestSaid:
    """One pytest run of the learner's test file on one DAG folder."""

    folder: str
    returncode: int
    output: str

    @property
    def passed(self) -> bool:
        return self.returncode == 0

    @property
    def failed(self) -> bool:
        return self.returncode == 1

    @property
    def summary(self) -> str:
        """pytest's last line, e.g. ``1 failed in 2.31s``, without the time and warnings."""
        lines = [line.strip("= ") for line in self.output.splitlines() if line.strip()]
        last = lines[-1] if lines else f"exit code {self.returncode}"
        return re.sub(r"(, \d+ warnings?)? in [\d.]+s.*$", "", last)

    @property
    def reason(self) -> str:
        """The first ``E ...`` line of a failure or error, if any."""
        for line in self.output.splitlines():
            if line.startswith("E "):
                return quote(line[1:].strip(), 160)
        return ""

    def describe(self) -> str:
        why = f" ({self.reason})" if self.reason and not self.passed else ""
        return f"on {self.folder}: {self.summary}{why}"


def run_pytest(
    lab: Any, suite: Path, folders: dict[str, Path], timeout: float = 180
) -> dict[str, PytestSaid]:
    """``pytest -q`` in ``suite`` once per DAG folder, all at once; what pytest said."""
    started = {
        label: subprocess.Popen(
            [sys.executable, "-m", "pytest", "-q", "--no-header", "--color=no", "-p", "no:nbval"],
            cwd=suite,
            env=pytest_env(lab, folder),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for label, folder in folders.items()
    }
    said = {}
    for label, proc in started.items():
        output, _ = proc.communicate(timeout=timeout)
        said[label] = PytestSaid(label, proc.returncode, output)
    return said


def plant(lab: Any, name: str, edit, extra: str | None = None) -> Path:
    """A copy of the kit's ``dags/`` with a defect: ``nft_pipeline.py`` edited by ``edit``,
    or (``extra`` set) kept sound, with the edited copy beside it as ``extra``."""
    folder = lab.settings.home / "nb16" / "planted" / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    source = (lab.settings.dags_folder / "nft_pipeline.py").read_text()
    edited = edit(source)
    assert edited != source, f"the planted defect {name!r} changed nothing"
    if extra:
        (folder / "nft_pipeline.py").write_text(source)
        (folder / extra).write_text(edited)
    else:
        (folder / "nft_pipeline.py").write_text(edited)
    return folder


def _second_dag(source: str, dag_id: str) -> str:
    return source.replace('dag_id="nft-pipeline"', f'dag_id="{dag_id}"')


#: Exercise 1's planted folders: the sound DAG plus a second file that cannot be imported.
BROKEN_IMPORTS = {
    "a folder with a cycle": (
        "cycle",
        lambda s: _second_dag(s, "nft-16-cycle") + "    store_nft >> creating_table\n",
        "nft_16_cycle.py",
    ),
    "a folder with an Airflow 2 argument": (
        "airflow2",
        lambda s: _second_dag(s, "nft-16-airflow2").replace(
            'schedule="@daily"', 'schedule_interval="@daily"'
        ),
        "nft_16_airflow2.py",
    ),
}
#: Exercise 2's planted folders: nft-pipeline itself breaks the policy.
POLICY_BREACHES = {
    "a folder where nft-pipeline has no retries": (
        "no_retries",
        lambda s: s.replace('    "retries": 2,\n', ""),
        None,
    ),
    "a folder where nft-pipeline has no tags": (
        "no_tags",
        lambda s: s.replace('    tags=["nft"],\n', ""),
        None,
    ),
}
SOUND = "the kit's dags/ (nft-pipeline as you built it)"


def judge(lab: Any, source: str, exercise: str, planted: dict) -> dict[str, PytestSaid]:
    """Run the learner's test on the sound folder and on each planted one."""
    suite = suite_folder(lab, exercise)
    for old in suite.glob("test_*.py"):
        old.unlink()
    (suite / f"test_{exercise}.py").write_text(source)
    folders = {SOUND: lab.settings.dags_folder}
    for label, (name, edit, extra) in planted.items():
        folders[label] = plant(lab, name, edit, extra)
    return run_pytest(lab, suite, folders)


def _story(seen: dict[str, PytestSaid]) -> str:
    return "pytest said:\n    " + "\n    ".join(said.describe() for said in seen.values())


def _right(seen: dict[str, PytestSaid]) -> bool:
    sound, *planted = seen.values()
    return sound.passed and all(said.failed for said in planted)


def _missed(seen: dict[str, PytestSaid]) -> list[str]:
    return [label for label, said in list(seen.items())[1:] if said.passed]


def _mistakes(what: str, catch: str) -> tuple[Mistake, ...]:
    return (
        Mistake(
            lambda s: s[SOUND].returncode == 5,
            lambda s: f"pytest collected no test from your file. {_story(s)}",
            fix="pytest runs functions whose names start with test_",
        ),
        Mistake(
            lambda s: s[SOUND].returncode not in (0, 1, 5),
            lambda s: f"pytest could not run your file. {_story(s)}",
            fix="fix the error pytest names (a syntax error, an import, a fixture name)",
        ),
        Mistake(
            lambda s: s[SOUND].failed,
            lambda s: f"your test FAILED on the sound folder. {_story(s)}",
            fix=f"a test of {what} must pass while nft-pipeline is sound",
        ),
        Mistake(
            lambda s: bool(_missed(s)),
            lambda s: (
                f"your test PASSED on {', '.join(_missed(s))}: it cannot catch that. {_story(s)}"
            ),
            fix=catch,
        ),
    )


exercise_1 = Exercise(
    "exercise_1",
    answer=str,
    hints=(
        "DagBag keeps every file it could not import in a dict, with the error; a cycle "
        "is one of those errors (section 2)",
        "a test that looks only for nft-pipeline passes while another file of the folder is "
        "broken: assert on the errors of the whole bag, and show them in the message",
    ),
    observe=lambda source, lab: judge(lab, source, "ex16_1", BROKEN_IMPORTS),
    right=_right,
    mistakes=_mistakes(
        "the folder's imports",
        "look at what DagBag could not import, in every file, not only at nft-pipeline",
    ),
    explain=lambda s: f"not yet: {_story(s)}",
    success=lambda s: (
        f"{_story(s)}\nYour test passes on the sound folder and fails on both broken ones."
    ),
)

exercise_2 = Exercise(
    "exercise_2",
    answer=str,
    hints=(
        "a policy test loops over dagbag.dags and each DAG's tasks; section 3 shows which "
        "attributes carry a DAG's tags and a task's retries",
        "default_args reach every task: read retries on each task, not on the DAG, and "
        "check both rules, each planted folder breaks one of them",
    ),
    observe=lambda source, lab: judge(lab, source, "ex16_2", POLICY_BREACHES),
    right=_right,
    mistakes=_mistakes(
        "the policy (tags, retries)",
        "check both rules, on every DAG of the bag and on every task of each",
    ),
    explain=lambda s: f"not yet: {_story(s)}",
    success=lambda s: (
        f"{_story(s)}\nYour policy test catches a DAG without tags and tasks without retries."
    ),
)
