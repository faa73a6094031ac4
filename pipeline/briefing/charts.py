"""Briefing charts (PNG, matplotlib's Agg backend) with Chinese labels.

The CJK font is the Noto Sans CJK SC file shipped inside the ``mplfonts`` package, so it installs
with the project's own dependencies. The font *file* is registered with matplotlib's font manager
and selected by its family name for every text element; mplfonts' ``use_font`` alone left the
labels as empty boxes on a machine without system CJK fonts.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

import matplotlib

from yuqing.pipeline.core.names import SENTIMENT_NAMES

matplotlib.use("Agg")

from matplotlib import font_manager  # noqa: E402
from matplotlib import pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

NEG, NEU, POS, TOTAL = "#c0392b", "#95a5a6", "#27ae60", "#1f4e79"
_lock = threading.Lock()  # pyplot's state is global


@lru_cache(maxsize=1)
def cjk_font_file() -> Path:
    """Path of Noto Sans CJK SC inside the mplfonts package."""
    import mplfonts

    base = Path(mplfonts.__file__).resolve().parent / "fonts"
    for name in ("NotoSansCJKsc-Regular.otf", "SourceHanSerifSC-Regular.otf", "SimHei.ttf"):
        if (base / name).exists():
            return base / name
    raise FileNotFoundError(f"no CJK font in {base}: reinstall mplfonts (pip install 'mplfonts>=0.0.8')")


@lru_cache(maxsize=1)
def cjk_family() -> str:
    """Register the font file with matplotlib and return its family name."""
    path = cjk_font_file()
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


def _style() -> dict[str, Any]:
    family = cjk_family()
    return {"font.family": [family], "font.sans-serif": [family, "DejaVu Sans"],
            "axes.unicode_minus": False, "axes.spines.top": False, "axes.spines.right": False,
            "figure.dpi": 150, "savefig.dpi": 150, "font.size": 10}


def _save(fig, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, format="png", facecolor="white")
    plt.close(fig)
    return path


def trend_chart(daily: dict[str, Any], topic_names: dict[str, str], path: Path) -> Path:
    """Posts per day (all and negative) and the daily curve of the leading topics."""
    with _lock, plt.rc_context(_style()):
        fig, ax = plt.subplots(figsize=(8, 3.6))
        x = range(len(daily["labels"]))
        ax.bar(x, daily["posts"], color=TOTAL, alpha=0.25, label="信息总量")
        ax.plot(x, daily["negative"], color=NEG, marker="o", linewidth=2, label="负面信息")
        for tid, values in list(daily["topics"].items())[:4]:
            ax.plot(x, values, marker=".", linewidth=1.2, linestyle="--", label=topic_names.get(tid, tid))
        hourly = len(daily["labels"]) > 12
        ax.set_xticks(list(x), daily["labels"], fontsize=7 if hourly else None, rotation=45 if hourly else 0)
        ax.set_ylabel("信息量（条）")
        ax.set_title("分时舆情走势" if hourly else "每日舆情走势")
        ax.set_ylim(0, max(daily["posts"] + [1]) * 1.35)   # room for the legend above the bars
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(loc="upper left", fontsize=8, ncol=3, frameon=False)
        return _save(fig, path)


def topic_chart(topics: list[dict[str, Any]], path: Path, limit: int = 10) -> Path:
    """Horizontal bars: posts per topic, the negative part in red."""
    rows = list(reversed(topics[:limit]))
    with _lock, plt.rc_context(_style()):
        fig, ax = plt.subplots(figsize=(8, 0.45 * max(len(rows), 3) + 1.2))
        names = [r["name"] for r in rows]
        ax.barh(names, [r["posts"] for r in rows], color=TOTAL, alpha=0.35, label="信息量")
        ax.barh(names, [r["negative"] for r in rows], color=NEG, label="其中负面")
        for i, r in enumerate(rows):
            ax.text(r["posts"], i, f" {r['posts']}（负面{r['negative_share']:g}%）", va="center", fontsize=8)
        ax.set_xlabel("信息量（条）")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title("话题分布")
        ax.set_xlim(right=max([r["posts"] for r in rows] + [1]) * 1.35)
        ax.legend(loc="lower right", fontsize=8, frameon=False)
        return _save(fig, path)


def unit_chart(units: list[dict[str, Any]], level_name: str, path: Path, limit: int = 15) -> Path:
    """Bars per unit: this period, last period and the negative part."""
    rows = list(reversed(units[:limit]))
    with _lock, plt.rc_context(_style()):
        fig, ax = plt.subplots(figsize=(8, 0.42 * max(len(rows), 3) + 1.2))
        names = [r["name"] for r in rows]
        y = range(len(rows))
        ax.barh([i + 0.2 for i in y], [r["posts"] for r in rows], height=0.4, color=TOTAL, alpha=0.5, label="本期")
        ax.barh([i - 0.2 for i in y], [r["prev_posts"] for r in rows], height=0.4, color=NEU, alpha=0.6, label="上期")
        ax.barh([i + 0.2 for i in y], [r["negative"] for r in rows], height=0.4, color=NEG, label="本期负面")
        ax.set_yticks(list(y), names)
        ax.set_xlabel("信息量（条）")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(f"各{level_name}舆情分布")
        ax.legend(loc="lower right", fontsize=8, frameon=False)
        return _save(fig, path)


def sentiment_chart(sentiment: dict[str, int], path: Path) -> Path:
    """Donut of the sentiment split."""
    labels = SENTIMENT_NAMES
    colors = {"negative": NEG, "neutral": NEU, "positive": POS}
    keys = [k for k in ("negative", "neutral", "positive") if sentiment.get(k)]
    with _lock, plt.rc_context(_style()):
        fig, ax = plt.subplots(figsize=(4, 3.2))
        if keys:
            ax.pie([sentiment[k] for k in keys], labels=[labels[k] for k in keys],
                   colors=[colors[k] for k in keys], autopct="%1.1f%%", startangle=90,
                   wedgeprops={"width": 0.45}, textprops={"fontsize": 9})
        else:
            ax.text(0.5, 0.5, "暂无数据", ha="center", va="center")
            ax.axis("off")
        ax.set_title("情感倾向")
        return _save(fig, path)


def draw_all(data: dict[str, Any], out_dir: Path) -> dict[str, Path]:
    """Every chart of a briefing, into ``out_dir``; name → path."""
    names = {t["topic"]: t["name"] for t in data["topics"]}
    charts = {"trend": trend_chart(data["daily"], names, out_dir / "trend.png"),
              "sentiment": sentiment_chart(data["overview"]["sentiment"], out_dir / "sentiment.png")}
    if data["topics"]:
        charts["topics"] = topic_chart(data["topics"], out_dir / "topics.png")
    if data["units"]["rows"]:
        charts["units"] = unit_chart(data["units"]["rows"], data["units"]["level_name"], out_dir / "units.png")
    return charts
