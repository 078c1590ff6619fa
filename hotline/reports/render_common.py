"""What the HTML and the Excel renderings of the bulletin share: how values print, and
the units grouped by level."""

from __future__ import annotations

from . import monthly


def value_text(value, kind: str) -> str:
    """A figure as printed: rates as percentages with one decimal, "—" where nothing was due."""
    if value is None:
        return "—"
    if kind == "rate":
        return f"{value * 100:.1f}%"
    if kind == "change":
        return change_text(value)
    if kind == "score":
        return f"{value:.1f}"
    return str(value)


def change_text(value) -> str:
    """A relative change (0.125 → "+12.5%"); no base to compare with → "—"."""
    if value is None:
        return "—"
    return f"{value * 100:+.1f}%"


def levels_with_units(doc: dict) -> list[tuple[dict, list[dict]]]:
    """[(level, its units in rank order)] for each level that has units."""
    out = []
    for level in doc.get("levels") or monthly.LEVELS:
        rows = [u for u in doc["units"] if u["level"] == level["key"]]
        rows.sort(key=lambda u: (u["rank"] is None, u["rank"] or 0, u["code"]))
        if rows:
            out.append((level, rows))
    return out


def correction_lines(doc: dict) -> list[dict]:
    """Each correction's changes as sentences: 2026-12-05 更正：东城区 按期办结率 由 80.0% 更正为 75.0%。"""
    lines = []
    for correction in doc.get("corrections") or []:
        for change in correction["changes"]:
            lines.append(
                {
                    "date": correction["recorded_at"][:10],
                    "text": f"{change['name']} {change['label']} 由 {value_text(change['was'], change['kind'])} "
                    f"更正为 {value_text(change['now'], change['kind'])}",
                    "note": correction.get("note"),
                }
            )
    return lines
