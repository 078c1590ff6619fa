"""The bulletin as HTML: the supervisors' A4 page (inside the site, charts from routes) and
a standalone document (``render``: one file, its CSS inline, its charts as data: URIs) for
the CLI and the API's ``format=html``. Both use templates/reports/_bulletin_body.html and
static/bulletin.css, so they print the same.
"""

from __future__ import annotations

import base64
from functools import partial
from pathlib import Path

from flask import render_template

from . import charts, monthly
from .render_common import change_text, correction_lines, levels_with_units, value_text

CSS_PATH = Path(__file__).resolve().parent.parent / "static" / "bulletin.css"


def context(doc: dict, chart_src, drill=None) -> dict:
    """What the bulletin's templates need; ``chart_src(name)`` gives each chart's image URL,
    ``drill(key, unit_code)`` the link to the tickets behind a unit's figure (or None)."""
    return {
        "drill": drill or (lambda key, code: None),
        "doc": doc,
        "levels": levels_with_units(doc),
        "unit_columns": monthly.unit_columns(),
        "centre_rows": monthly.centre_rows(),
        "summary_rows": monthly.summary_rows(),
        "corrections": correction_lines(doc),
        "charts": {name: title for name, (title, _draw) in charts.CHARTS.items()},
        "chart_src": chart_src,
        "fmt": value_text,
        "change": change_text,
        "month_label": monthly.month_label(doc["month"]),
    }


def _data_uri(doc: dict, digest: str, name: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(charts.draw(name, doc, digest=digest)).decode("ascii")


def render(doc: dict) -> bytes:
    """A standalone HTML file of the bulletin (UTF-8)."""
    html = render_template(
        "reports/bulletin_standalone.html",
        css=CSS_PATH.read_text(encoding="utf-8"),
        **context(doc, partial(_data_uri, doc, charts.doc_hash(doc))),
    )
    return html.encode("utf-8")
