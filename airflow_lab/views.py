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


# ---- architecture pictures (notebook 02; notebook 10 may reuse them) ----

#: Box colours by role: Airflow processes, storage, the queue, things outside Airflow.
_ROLE_COLOURS = {"airflow": "#4a90d9", "store": "#2e8b57", "queue": "#f0a000", "outside": "#8c8c8c"}

#: Where each box sits (x, y, width, height, role, title) on a 10 x 6.5 canvas.
_LAYOUTS: dict[str, dict[str, tuple]] = {
    "one-node": {
        "dag files": (0.4, 4.7, 2.2, 1.1, "outside", "DAG files"),
        "api-server": (3.9, 4.7, 2.4, 1.1, "airflow", "api-server\nUI · REST · execution API"),
        "you": (7.5, 4.7, 2.1, 1.1, "outside", "you\nbrowser · notebook"),
        "dag-processor": (0.4, 2.7, 2.2, 1.1, "airflow", "dag-processor"),
        "metastore": (3.9, 2.7, 2.4, 1.1, "store", "metastore\nPostgreSQL"),
        "workers": (7.5, 2.7, 2.1, 1.1, "airflow", "workers\n(run the tasks)"),
        "triggerer": (0.4, 0.6, 2.2, 1.1, "airflow", "triggerer"),
        "scheduler": (3.4, 0.35, 3.4, 1.75, "airflow", "scheduler"),
        "executor": (3.6, 0.45, 3.0, 0.8, "queue", "LocalExecutor + its queue"),
    },
    "multi-node": {
        "dag files": (0.3, 5.2, 2.1, 0.85, "outside", "DAG files\n(on every node)"),
        "dag-processor": (2.9, 5.2, 2.1, 0.85, "airflow", "dag-processor"),
        "triggerer": (0.3, 3.8, 2.1, 0.85, "airflow", "triggerer"),
        "metastore": (2.9, 3.8, 2.1, 0.85, "store", "metastore\nPostgreSQL"),
        "api-server": (0.3, 2.4, 2.1, 0.85, "airflow", "api-server"),
        "scheduler": (2.9, 2.4, 2.1, 0.85, "airflow", "scheduler\n+ CeleryExecutor"),
        "queue": (6.4, 3.8, 2.6, 0.95, "queue", "queue\nCelery broker (Redis)"),
        "worker 1": (5.6, 0.3, 1.9, 0.85, "airflow", "celery worker 1"),
        "worker 2": (7.9, 0.3, 1.9, 0.85, "airflow", "celery worker 2"),
    },
}

#: Arrows: (from, to, label, arrow style); "<->" reads and writes.
_ARROWS: dict[str, list[tuple[str, str, str, str]]] = {
    "one-node": [
        ("dag files", "dag-processor", "parse", "->"),
        ("dag-processor", "metastore", "serialized DAGs", "->"),
        ("api-server", "metastore", "", "<->"),
        ("you", "api-server", "UI / REST", "<->"),
        ("triggerer", "metastore", "", "<->"),
        ("scheduler", "metastore", "DagRuns, task instances", "<->"),
        ("executor", "workers", "queue → worker", "->"),
        ("workers", "api-server", "state, XCom", "->"),
    ],
    "multi-node": [
        ("dag files", "dag-processor", "", "->"),
        ("dag-processor", "metastore", "", "->"),
        ("triggerer", "metastore", "", "<->"),
        ("api-server", "metastore", "", "<->"),
        ("scheduler", "metastore", "", "<->"),
        ("scheduler", "queue", "send", "->"),
        ("queue", "worker 1", "", "->"),
        ("queue", "worker 2", "pull", "->"),
        ("worker 1", "api-server", "state, XCom", "->"),
    ],
}

#: Dashed machine outlines: (x, y, width, height, label).
_MACHINES: dict[str, list[tuple]] = {
    "one-node": [(0.15, 0.1, 9.7, 5.95, "one machine")],
    "multi-node": [
        (0.1, 2.2, 5.1, 4.1, "control node"),
        (5.45, 0.1, 2.2, 1.35, "worker node 1"),
        (7.75, 0.1, 2.2, 1.35, "worker node 2"),
    ],
}


def _anchor(box: tuple, toward: tuple[float, float]) -> tuple[float, float]:
    """The point on a box's edge facing ``toward`` (so arrows start and end at edges)."""
    x, y, w, h = box[:4]
    cx, cy = x + w / 2, y + h / 2
    dx, dy = toward[0] - cx, toward[1] - cy
    if dx == 0 and dy == 0:
        return cx, cy
    scale = min(w / 2 / abs(dx) if dx else float("inf"), h / 2 / abs(dy) if dy else float("inf"))
    return cx + dx * scale, cy + dy * scale


def architecture(kind: str = "one-node", labels: dict[str, str] | None = None, ax: Any = None):
    """Boxes and arrows of Airflow's ``"one-node"`` or ``"multi-node"`` architecture.

    ``labels`` adds a line to a box, e.g. ``{"scheduler": "pid 123"}`` from the live
    stack. Pass ``ax`` to draw into an existing axes (two kinds side by side).
    """
    from matplotlib.patches import FancyBboxPatch

    plt = _plt()
    boxes, labels = _LAYOUTS[kind], labels or {}
    if ax is None:
        fig, ax = plt.subplots(figsize=(8, 5))
    else:
        fig = ax.figure
    # Smaller text when the axes is narrower than a full figure (two pictures side by side).
    scale = max(0.75, min(1.0, ax.get_position().width * fig.get_figwidth() / 6.0))
    for x, y, w, h, name in _MACHINES[kind]:
        ax.add_patch(
            FancyBboxPatch(
                (x, y), w, h, boxstyle="round,pad=0.02", fill=False, ls="--", ec="#777777"
            )
        )
        ax.text(
            x + 0.05,
            y + h + 0.05,
            name,
            fontsize=7 * scale,
            color="#555555",
            va="bottom",
            style="italic",
        )
    for name, (x, y, w, h, role, title) in boxes.items():
        ax.add_patch(
            FancyBboxPatch(
                (x, y),
                w,
                h,
                boxstyle="round,pad=0.03",
                fc=_ROLE_COLOURS[role],
                ec="#333333",
                alpha=0.9,
            )
        )
        text = title + (f"\n{labels[name]}" if name in labels else "")
        top = name == "scheduler" and "executor" in boxes  # the executor box sits inside it
        ax.text(
            x + w / 2,
            y + h - 0.12 if top else y + h / 2,
            text,
            ha="center",
            va="top" if top else "center",
            fontsize=7.5 * scale,
            color="white",
        )
    for src, dst, label, style in _ARROWS[kind]:
        a, b = boxes[src], boxes[dst]
        centre_a = (a[0] + a[2] / 2, a[1] + a[3] / 2)
        centre_b = (b[0] + b[2] / 2, b[1] + b[3] / 2)
        start, end = _anchor(a, centre_b), _anchor(b, centre_a)
        ax.annotate(
            "",
            xy=end,
            xytext=start,
            arrowprops={"arrowstyle": style, "color": "#444444", "lw": 1.2},
        )
        if label:
            ax.text(
                (start[0] + end[0]) / 2,
                (start[1] + end[1]) / 2,
                label,
                fontsize=6.5 * scale,
                ha="center",
                va="center",
                color="#222222",
                bbox={"fc": "white", "ec": "none", "alpha": 0.8, "pad": 0.5},
            )
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 6.6)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(f"{kind} architecture", fontsize=10 * scale)
    fig.tight_layout()
    return fig
