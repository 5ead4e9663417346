"""Drawing helpers shared by the diagrams: a card, boxes, arrows, text.

Every diagram is drawn on a white rounded card with a thin grey border, inside an
otherwise transparent figure. A transparent diagram is not enough: its dark text
vanishes on JupyterLab's dark theme. An opaque white card keeps the same colours
readable on both themes and looks deliberate on a dark page; the colours inside are
light tints with mid-tone edges, so nothing glares on either.

Coordinates are inches from the bottom-left corner of the figure, so a layout reads
like a sketch on paper. Text is set in the DejaVu Sans files that ship inside
matplotlib (never a system font), and SVGs keep glyphs as paths, so a rebuild gives
the same bytes on any machine with the locked matplotlib.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.font_manager import FontProperties
from matplotlib.ft2font import FT2Font
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch
from matplotlib.text import Text

_FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
FONT_FILES = {
    "regular": _FONTS / "DejaVuSans.ttf",
    "bold": _FONTS / "DejaVuSans-Bold.ttf",
    "italic": _FONTS / "DejaVuSans-Oblique.ttf",
    "mono": _FONTS / "DejaVuSansMono.ttf",
    "mono-bold": _FONTS / "DejaVuSansMono-Bold.ttf",
}

#: Deterministic output: fixed ids in SVGs (hashsalt), glyphs drawn as paths.
RC = {
    "svg.hashsalt": "airflow-lab",
    "svg.fonttype": "path",
    "path.simplify": False,
    "figure.dpi": 100,
}

INK = "#1f2328"  # text
MUTED = "#57606a"  # secondary text
CARD_EDGE = "#d0d7de"
ARROW = "#424a53"

#: Fill and edge colour of each kind of thing, one hue per Airflow component.
PALETTE = {
    "you": ("#f6f8fa", "#6e7781"),
    "files": ("#f1f5f9", "#64748b"),
    "api": ("#dbeafe", "#2563eb"),
    "scheduler": ("#ffedd5", "#ea580c"),
    "executor": ("#fef3c7", "#b45309"),
    "dag-processor": ("#ede9fe", "#7c3aed"),
    "triggerer": ("#ccfbf1", "#0f766e"),
    "metastore": ("#dcfce7", "#15803d"),
    "worker": ("#ffe4e6", "#be123c"),
    "queue": ("#e0f2fe", "#0369a1"),
    "machine": ("#f8fafc", "#94a3b8"),
    "http": ("#dbeafe", "#2563eb"),
    "sql": ("#dcfce7", "#15803d"),
    "python": ("#ffedd5", "#ea580c"),
}


def font(style: str = "regular", size: float = 10.5) -> FontProperties:
    return FontProperties(fname=str(FONT_FILES[style]), size=size)


@dataclass
class Box:
    """A drawn box: where it is, and the texts that must fit inside it."""

    x: float
    y: float
    w: float
    h: float
    patch: FancyBboxPatch
    texts: list

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2

    @property
    def top(self) -> float:
        return self.y + self.h

    @property
    def right(self) -> float:
        return self.x + self.w


class Canvas:
    """One figure: a white card of ``width`` x ``height`` inches, and the helpers."""

    def __init__(self, width: float, height: float) -> None:
        matplotlib.rcParams.update(RC)  # read again when the figure is saved
        self.fig = plt.figure(figsize=(width, height))
        self.fig.patch.set_alpha(0)  # outside the card's rounded corners
        self.ax = self.fig.add_axes((0, 0, 1, 1))
        self.ax.set_xlim(0, width)
        self.ax.set_ylim(0, height)
        self.ax.set_axis_off()
        self.width, self.height = width, height
        self.boxes: list[Box] = []
        self.ax.add_patch(
            FancyBboxPatch(
                (0.06, 0.06),
                width - 0.12,
                height - 0.12,
                boxstyle="round,pad=0,rounding_size=0.18",
                facecolor="white",
                edgecolor=CARD_EDGE,
                linewidth=1.2,
                zorder=0,
            )
        )

    # ---- text ----
    def text(
        self,
        x: float,
        y: float,
        s: str,
        *,
        size: float = 10.5,
        style: str = "regular",
        color: str = INK,
        ha: str = "center",
        va: str = "center",
        **kw,
    ):
        return self.ax.text(
            x, y, s, fontproperties=font(style, size), color=color, ha=ha, va=va, zorder=5, **kw
        )

    def attach(self, box: Box, *texts) -> None:
        """Hold ``texts`` drawn on ``box`` to its edges too (see :func:`check`)."""
        box.texts.extend(texts)

    def title(self, s: str, subtitle: str | None = None) -> None:
        self.text(0.35, self.height - 0.42, s, size=15, style="bold", ha="left")
        if subtitle:
            self.text(0.35, self.height - 0.78, subtitle, size=10.5, color=MUTED, ha="left")

    # ---- shapes ----
    def box(
        self,
        x: float,
        y: float,
        w: float,
        h: float,
        title: str,
        lines: tuple[str, ...] = (),
        *,
        kind: str = "api",
        title_size: float = 12,
        line_size: float = 9.5,
        title_style: str = "bold",
        dashed: bool = False,
        label_top: bool = False,
        zorder: float = 2,
    ) -> Box:
        """A rounded box with a bold title and smaller lines under it (centred as a block)."""
        fill, edge = PALETTE[kind]
        patch = FancyBboxPatch(
            (x, y),
            w,
            h,
            boxstyle="round,pad=0,rounding_size=0.1",
            facecolor=fill,
            edgecolor=edge,
            linewidth=1.6,
            linestyle=(0, (4, 3)) if dashed else "solid",
            zorder=zorder,
        )
        self.ax.add_patch(patch)
        texts = []
        gap_title = title_size / 72 * 1.45
        gap_line = line_size / 72 * 1.4
        if label_top:  # a group: its label sits in the top-left corner
            texts.append(
                self.text(
                    x + 0.14,
                    y + h - 0.2,
                    title,
                    size=title_size,
                    style=title_style,
                    color=edge,
                    ha="left",
                )
            )
        else:
            block = gap_title + gap_line * len(lines)
            top = y + h / 2 + block / 2
            texts.append(
                self.text(x + w / 2, top - gap_title / 2, title, size=title_size, style=title_style)
            )
            for i, line in enumerate(lines):
                style = "italic" if line.startswith("seed:") else "regular"
                color = MUTED if line.startswith("seed:") else INK
                texts.append(
                    self.text(
                        x + w / 2,
                        top - gap_title - gap_line * (i + 0.5),
                        line,
                        size=line_size,
                        style=style,
                        color=color,
                    )
                )
        result = Box(x, y, w, h, patch, texts)
        self.boxes.append(result)
        return result

    def chip(
        self,
        cx: float,
        cy: float,
        s: str,
        *,
        kind: str = "files",
        size: float = 9,
        style: str = "mono",
    ):
        """A small rounded label (a connection id, a state)."""
        _, edge = PALETTE[kind]
        return self.text(
            cx,
            cy,
            s,
            size=size,
            style=style,
            color=edge,
            bbox={
                "boxstyle": "round,pad=0.3,rounding_size=0.25",
                "facecolor": "white",
                "edgecolor": edge,
                "linewidth": 1.1,
            },
        )

    def badge(self, cx: float, cy: float, n: int, *, kind: str = "api") -> None:
        """A numbered circle (a step)."""
        _, edge = PALETTE[kind]
        self.ax.add_patch(
            Circle((cx, cy), 0.2, facecolor=edge, edgecolor="white", linewidth=1.5, zorder=4)
        )
        self.text(cx, cy - 0.005, str(n), size=11, style="bold", color="white")

    def arrow(
        self,
        start: tuple[float, float],
        end: tuple[float, float],
        label: str | None = None,
        *,
        both: bool = False,
        dashed: bool = False,
        color: str = ARROW,
        rad: float = 0.0,
        label_at: float = 0.5,
        label_offset: tuple[float, float] = (0, 0),
        label_ha: str = "center",
        label_size: float = 9.5,
    ) -> None:
        style = "<|-|>" if both else "-|>"
        self.ax.add_patch(
            FancyArrowPatch(
                start,
                end,
                arrowstyle=style,
                mutation_scale=14,
                color=color,
                linewidth=1.5,
                linestyle=(0, (4, 3)) if dashed else "solid",
                connectionstyle=f"arc3,rad={rad}",
                shrinkA=2,
                shrinkB=2,
                zorder=3,
            )
        )
        if label:
            x = start[0] + (end[0] - start[0]) * label_at + label_offset[0]
            y = start[1] + (end[1] - start[1]) * label_at + label_offset[1]
            self.text(
                x,
                y,
                label,
                size=label_size,
                color=MUTED,
                ha=label_ha,
                bbox={
                    "boxstyle": "round,pad=0.15",
                    "facecolor": "white",
                    "edgecolor": "none",
                    "alpha": 0.9,
                },
            )


def _missing_glyphs(fig) -> list[str]:
    """Characters some text of ``fig`` uses that its font cannot draw (would be tofu)."""
    missing = []
    charmaps: dict[str, set[int]] = {}
    for text in fig.findobj(Text):
        s = text.get_text()
        if not s:
            continue
        fname = text.get_fontproperties().get_file()
        if fname is None:
            missing.append(f"{s!r}: not set in one of the bundled fonts")
            continue
        if fname not in charmaps:
            charmaps[fname] = set(FT2Font(str(fname)).get_charmap())
        bad = sorted({c for c in s if c not in "\n" and ord(c) not in charmaps[fname]})
        if bad:
            missing.append(f"{s!r}: no glyph for {''.join(bad)!r} in {Path(fname).name}")
    return missing


def _overflows(canvas: Canvas) -> list[str]:
    """Texts that stick out of their box, and boxes that stick out of the card."""
    fig = canvas.fig
    renderer = fig.canvas.get_renderer()
    problems = []
    to_inches = fig.dpi_scale_trans.inverted()
    for box in canvas.boxes:
        for text in box.texts:
            bb = text.get_window_extent(renderer).transformed(to_inches)
            if bb.x0 < box.x + 0.03 or bb.x1 > box.right - 0.03 or bb.y0 < box.y or bb.y1 > box.top:
                problems.append(f"text {text.get_text()!r} does not fit its box")
        if (
            box.x < 0.06
            or box.y < 0.06
            or box.right > canvas.width - 0.06
            or box.top > canvas.height - 0.06
        ):
            problems.append(f"box {box.texts[0].get_text()!r} is outside the card")
    for text in fig.findobj(Text):
        if not text.get_text():
            continue
        bb = text.get_window_extent(renderer).transformed(to_inches)
        if (
            bb.x0 < 0.06
            or bb.x1 > canvas.width - 0.06
            or bb.y0 < 0.06
            or bb.y1 > canvas.height - 0.06
        ):
            problems.append(f"text {text.get_text()!r} is outside the card")
    return problems


def check(canvas: Canvas) -> None:
    """Refuse to write a picture with tofu boxes or text outside its box."""
    canvas.fig.canvas.draw()
    problems = _missing_glyphs(canvas.fig) + _overflows(canvas)
    if problems:
        raise ValueError("diagram is not fit to ship:\n  " + "\n  ".join(problems))
