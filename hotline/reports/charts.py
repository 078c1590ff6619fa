"""The bulletin's charts, drawn on the server with matplotlib as SVG, from the bulletin's
document (hotline.reports.monthly), never from the database: a published bulletin's charts
are drawn from its frozen figures and come out the same bytes every time.

Text is drawn as paths with a CJK font (WenQuanYi Micro Hei, Debian's fonts-wqy-microhei),
so the Chinese labels show in any browser or viewer, whatever fonts it has. matplotlib
warns ("Glyph ... missing from font(s)") when a character has no glyph; the tests turn
that warning into an error.

Only the object-oriented API (Figure, not pyplot): no global figure state, safe in threads.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import threading
from collections import OrderedDict

FONT_PATH = os.environ.get("HOTLINE_CJK_FONT", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
FONT_FAMILY = "WenQuanYi Micro Hei"
MANY = 20  # more units than this: the chart shows the best and the worst ten
COLORS = ("#1565c0", "#c62828", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f", "#5d4037", "#9e9d24")

_setup_lock = threading.Lock()
_ready = False
CACHE_SIZE = 64  # charts kept (a bulletin has six): drawing one costs ~0.2 s
_cache: OrderedDict[tuple[str, str], bytes] = OrderedDict()
_cache_lock = threading.Lock()


class ChartError(RuntimeError):
    pass


def _setup() -> None:
    """Register the CJK font and fix the SVG output (once, on first use; never at import)."""
    global _ready
    with _setup_lock:
        if _ready:
            return
        import matplotlib

        matplotlib.use("Agg", force=False)
        from matplotlib import font_manager

        if not os.path.exists(FONT_PATH):
            raise ChartError(f"CJK font not found at {FONT_PATH}: install fonts-wqy-microhei")
        font_manager.fontManager.addfont(FONT_PATH)
        matplotlib.rcParams.update(
            {
                "font.family": [FONT_FAMILY],
                "axes.unicode_minus": False,  # the ASCII minus: the CJK font has no U+2212
                "svg.hashsalt": "hotline-bulletin",  # stable ids: the same figures, the same bytes
                "svg.fonttype": "path",
            }
        )
        _ready = True


def _figure(width: float, height: float):
    _setup()
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    fig.set_layout_engine("constrained")
    return fig


def _svg(fig) -> bytes:
    out = io.BytesIO()
    fig.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
    return out.getvalue()


def _empty(ax, message: str = "本期无数据") -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=12, color="#616e7c", transform=ax.transAxes)
    ax.set_axis_off()


def _short(text: str, limit: int = 12) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def trend(doc: dict) -> bytes:
    """Tickets taken in each of the twelve months up to the bulletin's, and how many were
    answered on the call."""
    rows = doc.get("trend") or []
    fig = _figure(7.2, 3.0)
    ax = fig.subplots()
    ax.set_title("近12个月受理量走势", fontsize=12)
    if not rows:
        _empty(ax)
        return _svg(fig)
    labels = [r["month"][2:].replace("-", ".") for r in rows]
    received = [r["received"] for r in rows]
    answered = [r["answered_on_call"] for r in rows]
    x = range(len(rows))
    ax.bar(x, received, color=COLORS[0], label="话务受理量")
    ax.plot(x, answered, color=COLORS[1], marker="o", linewidth=1.5, label="直接答复数")
    ax.set_xticks(list(x), labels, fontsize=8)
    ax.tick_params(axis="y", labelsize=8)
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=2, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(fig)


def _hbar(
    title: str, labels: list[str], values: list[float], *, fmt: str, xmax: float | None = None, width: float = 7.2
) -> bytes:
    height = max(2.0, 0.6 + 0.28 * len(labels)) if labels else 1.2
    fig = _figure(width, height)
    ax = fig.subplots()
    ax.set_title(title, fontsize=12)
    if not labels:
        _empty(ax)
        return _svg(fig)
    y = list(range(len(labels)))
    bars = ax.barh(y, values, color=COLORS[0], height=0.6)
    ax.set_yticks(y, [_short(label, 15 if width > 5 else 8) for label in labels], fontsize=8)
    ax.invert_yaxis()  # the first row on top
    ax.bar_label(bars, labels=[fmt.format(v) for v in values], fontsize=7, padding=2)
    ax.tick_params(axis="x", labelsize=8)
    top = xmax if xmax is not None else max(values) or 1
    ax.set_xlim(0, top * 1.12)
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(fig)


def request_types(doc: dict) -> bytes:
    rows = [r for r in doc["volume"]["by_request_type"] if r["count"]]
    return _hbar("按诉求类型", [r["label"] for r in rows], [r["count"] for r in rows], fmt="{:.0f}", width=3.6)


def categories(doc: dict, limit: int = 10) -> bytes:
    rows = [r for r in doc["volume"]["by_category"] if r["count"]][:limit]
    return _hbar(
        f"按诉求分类（前{limit}类）", [r["label"] for r in rows], [r["count"] for r in rows], fmt="{:.0f}", width=3.6
    )


def _best_and_worst(rows: list[dict]) -> list[dict]:
    if len(rows) <= MANY:
        return rows
    half = MANY // 2
    return rows[:half] + rows[-half:]


def ranking(doc: dict, group: str) -> bytes:
    """The weighted score of each unit of a ranking group, in rank order."""
    from .scores import RANK_GROUP_LABELS

    rows = [u for u in doc["units"] if u.get("rank_group") == group and u.get("score") is not None]
    rows.sort(key=lambda u: (u["rank"], u["code"]))
    rows = _best_and_worst(rows)
    suffix = "（前10名与后10名）" if len(rows) == MANY else ""
    return _hbar(
        f"{RANK_GROUP_LABELS[group]}综合得分排名{suffix}",
        [f"{u['rank']}. {u['name']}" for u in rows],
        [u["score"] for u in rows],
        fmt="{:.1f}",
        xmax=100,
    )


def satisfaction(doc: dict) -> bytes:
    """Each unit's satisfaction rate (units with callbacks in the month), highest first."""
    rows = [u for u in doc["units"] if u.get("satisfaction_rate") is not None]
    rows.sort(key=lambda u: (-u["satisfaction_rate"], u["code"]))
    rows = _best_and_worst(rows)
    return _hbar(
        "各单位满意率",
        [u["name"] for u in rows],
        [round(u["satisfaction_rate"] * 100, 1) for u in rows],
        fmt="{:.1f}%",
        xmax=100,
    )


# name → (Chinese title, drawing function); the routes and the HTML use these names.
CHARTS = {
    "trend": ("近12个月受理量走势", trend),
    "request-types": ("按诉求类型", request_types),
    "categories": ("按诉求分类", categories),
    "ranking-city": ("市直部门综合得分排名", lambda doc: ranking(doc, "city")),
    "ranking-local": ("区（县）及镇街综合得分排名", lambda doc: ranking(doc, "local")),
    "satisfaction": ("各单位满意率", satisfaction),
}


def doc_hash(doc: dict) -> str:
    """The document's fingerprint: equal documents draw the same bytes."""
    text = json.dumps(doc, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def draw(name: str, doc: dict, *, digest: str | None = None) -> bytes:
    """The chart ``name`` of ``doc``, drawn once per document (a published bulletin's page
    is drawn on its first view and read from memory after; a new computation is a new
    document). ``digest``: ``doc_hash(doc)`` when the caller has it already."""
    key = (name, digest or doc_hash(doc))
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    svg = CHARTS[name][1](doc)
    with _cache_lock:
        _cache[key] = svg
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return svg
