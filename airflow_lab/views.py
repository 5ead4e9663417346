"""Pictures made from live data: a run's timeline, a DAG's graph, state tables.

Matplotlib only, with a neutral palette that reads on light and dark JupyterLab
themes; every figure is built from rows the metastore or the REST API returned,
never from made-up numbers.
"""

from __future__ import annotations

from typing import Any

#: Airflow's own state colours (the UI's), so a learner recognises them.
STATE_COLOURS = {
    "success": "#2e8b57",
    "failed": "#d62728",
    "running": "#1f9bd6",
    "queued": "#8c8c8c",
    "scheduled": "#d2b48c",
    "up_for_retry": "#f0c000",
    "upstream_failed": "#ff8c00",
    "skipped": "#ff69b4",
    "deferred": "#9370db",
    None: "#cccccc",
}


def _plt():
    import sys

    import matplotlib

    # Off-screen outside Jupyter (tests, scripts). Inside a kernel keep its inline
    # backend: switching to Agg there hides every figure drawn before the first plt call.
    if "ipykernel" not in sys.modules:
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def run_timeline(task_instances: Any, title: str = "task instances of one run"):
    """A Gantt chart: for each task, queued → start → end, from metastore timestamps.

    ``task_instances`` is the DataFrame from ``Lab.task_instances(run_id)`` (columns
    task_id, state, queued_dttm, start_date, end_date).
    """
    import pandas as pd

    plt = _plt()
    df = task_instances.copy()
    for col in ("queued_dttm", "start_date", "end_date"):
        df[col] = pd.to_datetime(df[col], utc=True)
    origin = df[["queued_dttm", "start_date"]].min().min()
    df = df.sort_values("start_date", na_position="last").reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(df) + 1.2))
    for i, row in df.iterrows():
        if pd.notna(row.queued_dttm) and pd.notna(row.start_date):
            q = (row.queued_dttm - origin).total_seconds()
            wait = (row.start_date - row.queued_dttm).total_seconds()
            ax.barh(i, wait, left=q, color=STATE_COLOURS["queued"], alpha=0.5, height=0.5)
        if pd.notna(row.start_date) and pd.notna(row.end_date):
            s = (row.start_date - origin).total_seconds()
            ax.barh(
                i,
                (row.end_date - row.start_date).total_seconds(),
                left=s,
                color=STATE_COLOURS.get(row.state, "#999999"),
                height=0.5,
            )
    ax.set_yticks(range(len(df)), df["task_id"])
    ax.invert_yaxis()
    ax.set_xlabel(
        "seconds since the first task was queued (grey: queued, colour: running → final state)"
    )
    ax.set_title(title)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def dag_graph(edges: dict[str, list[str]], title: str = "", states: dict | None = None):
    """Draw a DAG from ``{task_id: [downstream task ids]}``, left to right by depth."""
    plt = _plt()
    depth: dict[str, int] = {}
    upstream = {t: [u for u, downs in edges.items() if t in downs] for t in edges}

    def level(task: str) -> int:
        if task not in depth:
            depth[task] = 1 + max((level(u) for u in upstream[task]), default=-1)
        return depth[task]

    for task in edges:
        level(task)
    columns: dict[int, list[str]] = {}
    for task, d in depth.items():
        columns.setdefault(d, []).append(task)
    pos = {t: (d * 2.6, -i) for d, ts in columns.items() for i, t in enumerate(sorted(ts))}
    width = max(d for d in columns) * 2.6 + 2.6
    # At most 9 x 5 inches, so a deep DAG still fits a notebook's width.
    fig, ax = plt.subplots(
        figsize=(
            min(9, max(6, width * 1.1)),
            min(5, 1.2 + 0.9 * max(len(v) for v in columns.values())),
        )
    )
    arcs = False
    for task, downs in edges.items():
        for down in downs:
            (x0, y0), (x1, y1) = pos[task], pos[down]
            # An edge that skips a column on the same row would run under the boxes
            # between: bend it over them instead.
            skips = depth[down] - depth[task] > 1 and y0 == y1
            arcs = arcs or skips
            ax.annotate(
                "",
                xy=(x1 - 1.0 * (not skips), y1 + 0.25 * skips),
                xytext=(x0 + 1.0 * (not skips), y0 + 0.25 * skips),
                arrowprops={
                    "arrowstyle": "->",
                    "color": "#777777",
                    "lw": 1.5,
                    "connectionstyle": f"arc3,rad={-0.3 if skips else 0}",
                },
            )
    for task, (x, y) in pos.items():
        colour = STATE_COLOURS.get((states or {}).get(task), "#4a90d9") if states else "#4a90d9"
        ax.text(
            x,
            y,
            task,
            ha="center",
            va="center",
            fontsize=9,
            color="white",
            bbox={"boxstyle": "round,pad=0.4", "fc": colour, "ec": "#333333"},
        )
    ax.set_xlim(-1.4, width - 1.2)
    ax.set_ylim(min(y for _, y in pos.values()) - 0.7, 1.6 if arcs else 0.7)
    ax.axis("off")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def dag_edges(api: Any, dag_id: str) -> dict[str, list[str]]:
    """``{task_id: downstream ids}`` from ``GET /api/v2/dags/{dag_id}/tasks``."""
    tasks = api.get(f"/api/v2/dags/{dag_id}/tasks")["tasks"]
    return {t["task_id"]: list(t["downstream_task_ids"]) for t in tasks}


def state_table(task_instances: list[dict]) -> Any:
    """The REST API's task instances as a small DataFrame: task, state, try, duration."""
    import pandas as pd

    rows = [
        {
            "task_id": t["task_id"],
            "state": t["state"],
            "try_number": t["try_number"],
            "duration_s": round(t["duration"], 2) if t.get("duration") is not None else None,
            "hostname": t.get("hostname"),
        }
        for t in task_instances
    ]
    return pd.DataFrame(rows)
