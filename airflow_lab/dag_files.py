"""DAG files: write one where Airflow will parse it, read a piece of one, import one.

The lab has two DAG bundles (see :mod:`airflow_lab.stack.airflow_config`): the
kit's ``dags/`` and the learner bundle under the lab's home, where notebooks and
exercises write their DAGs, so the repository's folder stays clean.
"""

from __future__ import annotations

import ast
import importlib.util
import sys
import textwrap
import time
from pathlib import Path
from types import ModuleType

from airflow_lab.api import AirflowApi
from airflow_lab.errors import LabError
from airflow_lab.settings import Settings
from airflow_lab.waiting import wait_until


def load_module(path: Path, name: str | None = None) -> ModuleType:
    """Import a DAG file by path, as the dag-processor does (a DAG folder is no package).

    No ``__pycache__`` is left beside it.
    """
    spec = importlib.util.spec_from_file_location(name or f"_dag_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise LabError(f"{path} is not a Python file", hint="give the path of a .py DAG file")
    module = importlib.util.module_from_spec(spec)
    dont_write_bytecode, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = dont_write_bytecode
    return module


class DagFiles:
    """The lab's DAG folders, as a notebook uses them."""

    def __init__(self, settings: Settings, api: AirflowApi) -> None:
        self.settings = settings
        self.api = api

    def path(self, filename: str) -> Path:
        """Where ``filename`` goes in the learner bundle."""
        return self.settings.learner_dags / filename

    def write(
        self, filename: str, source: str, dag_id: str | None = None, timeout: float = 90
    ) -> float:
        """Put a DAG file in the learner bundle; wait until Airflow parsed it.

        Returns the seconds from writing the file to the DAG (or, with
        ``dag_id=None``, its import error) appearing in Airflow.
        """
        self.path(filename).write_text(source)
        t0 = time.monotonic()

        def parsed() -> bool:
            if dag_id:
                return self.api.dag_exists(dag_id)
            return any(e["filename"].endswith(filename) for e in self.api.import_errors())

        if not wait_until(parsed, timeout, 0.5):
            raise LabError(
                f"{filename} was not parsed within {timeout:.0f} s",
                hint="check `airflow-lab logs dag-processor`",
            )
        return time.monotonic() - t0

    def remove(self, filename: str) -> None:
        self.path(filename).unlink(missing_ok=True)

    def code(self, name: str, path: str | Path | None = None) -> str:
        """A piece of a DAG file, read now, so a notebook cannot drift from it.

        ``path`` defaults to the kit's ``dags/nft_pipeline.py``; ``"seed"`` means the
        study note's original, ``notebooks/seed/nft_pipeline_seed.py``. ``name`` is
        either a ``# [START name]``/``# [END name]`` section, or a name the file
        assigns (a task, a constant) or a function it defines: that statement, with
        the comment lines just above it.
        """
        if path is None:
            path = self.settings.dags_folder / "nft_pipeline.py"
        elif path == "seed":
            path = self.settings.notebooks_folder / "seed" / "nft_pipeline_seed.py"
        source = Path(path).read_text()
        start, end = f"# [START {name}]\n", f"# [END {name}]"
        if start in source:
            return source.split(start, 1)[1].split(end, 1)[0].strip("\n")
        lines = source.splitlines()
        for node in ast.walk(ast.parse(source)):
            names = []
            if isinstance(node, ast.Assign):
                names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            elif isinstance(node, ast.FunctionDef):
                names = [node.name]
            if name in names:
                first = node.lineno - 1
                while first > 0 and lines[first - 1].strip().startswith("#"):
                    first -= 1
                return textwrap.dedent("\n".join(lines[first : node.end_lineno]))
        raise LabError(
            f"{Path(path).name} has no section or statement named {name!r}",
            hint="look for `# [START ...]` markers or task variables in the DAG file",
        )
