"""The daily summary's chart: the last 20 care days' attendance and late pickups as a PNG (matplotlib, Agg)."""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from typing import Any

from bot.domain.reports import DayPoint

CJK_FONTS = (
    "WenQuanYi Zen Hei",
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
)
MAX_BYTES = 2 * 1024 * 1024  # WeCom image messages take at most 2 MB


def _cjk_font() -> str | None:
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


def attendance_chart(points: Sequence[DayPoint], school: str = "") -> bytes:
    """A PNG of 实到/应到 and 晚接 per day; labels in Chinese where a CJK font is installed, else in English."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    font = _cjk_font()
    zh = font is not None
    labels = (
        ("应到", "实到", "晚接", f"{school}近{len(points)}个托管日出勤与晚接")
        if zh
        else ("expected", "present", "late pickups", f"last {len(points)} care days")
    )
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)  # a .ttc's weight guess is noise
    rc: Any = {"font.sans-serif": [font, *matplotlib.rcParams["font.sans-serif"]]} if font else {}
    with matplotlib.rc_context(rc):
        return _draw(Figure, MaxNLocator, points, labels)


def _draw(figure: Any, locator: Any, points: Sequence[DayPoint], labels: tuple[str, ...]) -> bytes:
    fig = figure(figsize=(8, 3.6), dpi=100)
    ax = fig.add_subplot()
    x = list(range(len(points)))
    ax.plot(x, [p.expected for p in points], color="#999999", linestyle="--", label=labels[0])
    ax.plot(x, [p.present for p in points], color="#1f77b4", marker="o", label=labels[1])
    late_ax = ax.twinx()
    late_ax.bar(x, [p.late for p in points], color="#ff7f0e", alpha=0.5, label=labels[2])
    late_ax.set_ylim(0, max([p.late for p in points] + [4]) * 3)
    ax.set_xticks(x, [f"{p.day.month}/{p.day.day}" for p in points], rotation=45, fontsize=8)
    ax.set_ylim(0, max([p.expected for p in points] + [1]) * 1.15)
    ax.yaxis.set_major_locator(locator(integer=True))
    late_ax.yaxis.set_major_locator(locator(integer=True))
    ax.set_title(labels[3])
    handles = ax.get_legend_handles_labels()
    late_handles = late_ax.get_legend_handles_labels()
    ax.legend(handles[0] + late_handles[0], handles[1] + late_handles[1], loc="lower left", fontsize=8)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    png = buffer.getvalue()
    if len(png) > MAX_BYTES:
        raise ValueError(f"chart is {len(png)} bytes, over the 2 MB image limit")
    return png
