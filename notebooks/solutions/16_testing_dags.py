"""Solutions for notebook 16 · Testing DAGs: a pytest suite for nft-pipeline.

Each ``exercise_N(lab)`` returns an answer that ``airflow_lab.checks.nb16.exercise_N``
accepts; ``WRONG`` holds a plausible mistake per exercise that the checker rejects,
with words its message must contain.
"""

from __future__ import annotations


def exercise_1(lab):
    """The bag's import errors, all of them: a cycle is one, an Airflow 2 argument another."""
    return """\
def test_every_file_imports(dagbag):
    assert dagbag.import_errors == {}, "\\n".join(
        f"{path}: {error.strip().splitlines()[-1]}" for path, error in dagbag.import_errors.items()
    )
"""


def exercise_2(lab):
    """Tags on every DAG, at least one retry on every task (default_args reach each task)."""
    return """\
def test_every_dag_follows_the_policy(dagbag):
    for dag_id, dag in dagbag.dags.items():
        assert dag.tags, f"{dag_id} has no tags"
        for task in dag.tasks:
            assert task.retries >= 1, f"{dag_id}.{task.task_id} has retries={task.retries}"
"""


WRONG = {
    # looks only for its own DAG: the broken second file goes unnoticed
    "exercise_1": (
        'def test_pipeline_imports(dagbag):\n    assert "nft-pipeline" in dagbag.dags\n',
        "passed on",
    ),
    # one rule of two: tags only
    "exercise_2": (
        "def test_tags(dagbag):\n    for dag in dagbag.dags.values():\n        assert dag.tags\n",
        "no retries",
    ),
}
