"""Excel exports of the lists people see: the same rows, filters, visibility and masking.

The workbook is written with openpyxl's write-only mode from pages of EXPORT_CHUNK rows,
at most EXPORT_LIMIT rows (the sheet says so when the list has more): an export never
loads a whole table. A text that Excel would read as a formula (``=``, ``+``, ``-``, ``@``)
is written with a leading apostrophe, so a citizen's text never runs in someone's Excel.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from datetime import datetime

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from ..core import clock
from .rows import Row

EXPORT_LIMIT = 10_000
EXPORT_CHUNK = 500
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

BASE_COLUMNS: list[tuple[str, Callable[[Row], str], int]] = [
    ("工单编号", lambda r: r.number, 18),
    ("登记时间", lambda r: r.created_at, 17),
    ("状态", lambda r: r.status_label, 8),
    ("紧急程度", lambda r: r.urgency_label, 8),
    ("诉求类型", lambda r: r.request_type_label, 8),
    ("分类", lambda r: r.category_name, 16),
    ("区域", lambda r: r.area_name, 14),
    ("地址", lambda r: r.address, 20),
    ("诉求内容", lambda r: r.content, 50),
    ("来电人", lambda r: r.caller_name, 8),
    ("来电号码", lambda r: r.caller_phone, 14),
    ("主办单位", lambda r: r.lead_unit_name, 18),
]


def _clock(kind: str) -> Callable[[Row], str]:
    def text(row: Row) -> str:
        found = next((c for c in row.countdowns if c.kind == kind), None)
        return f"{found.text}（{_fmt(found.due_at)}）" if found else ""

    return text


def _fmt(value: datetime) -> str:
    return clock.local(value).strftime("%Y-%m-%d %H:%M")


def columns(*, rectification: bool = False, note: str | None = None, since: bool = False):
    cols = [*BASE_COLUMNS, ("签收时限", _clock("accept"), 26), ("答复时限", _clock("reply"), 26)]
    if rectification:
        cols.append(("整改时限", _clock("rectification"), 26))
    if note:
        cols.append((note, lambda r: r.note, 40))
    if since:
        cols.append(("时间", lambda r: r.since, 16))
    return cols


def safe(value) -> str:
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def workbook(title: str, filters: str, cols, chunks: Iterable[list[Row]], *, total: int) -> bytes:
    """The sheet: a title line, the filters used, the header, one line per row."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title[:31])
    for index, (_, _, width) in enumerate(cols):
        ws.column_dimensions[get_column_letter(index + 1)].width = width
    bold = Font(bold=True)
    heading = WriteOnlyCell(ws, value=safe(title))
    heading.font = Font(bold=True, size=13)
    ws.append([heading])
    shown = min(total, EXPORT_LIMIT)
    more = f"；共 {total} 件，仅导出前 {EXPORT_LIMIT} 件，请缩小筛选范围" if total > EXPORT_LIMIT else ""
    ws.append([safe(f"导出时间：{_fmt(clock.now())}；筛选：{filters or '无'}；{shown} 件{more}")])
    header = []
    for name, _, _ in cols:
        cell = WriteOnlyCell(ws, value=name)
        cell.font = bold
        header.append(cell)
    ws.append(header)
    for chunk in chunks:
        for row in chunk:
            ws.append([safe(get(row)) for _, get, _ in cols])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def pages(fetch: Callable[[int, int], list[Row]], total: int) -> Iterable[list[Row]]:
    """``fetch(offset, limit)`` page by page, up to EXPORT_LIMIT rows."""
    offset = 0
    while offset < min(total, EXPORT_LIMIT):
        chunk = fetch(offset, min(EXPORT_CHUNK, EXPORT_LIMIT - offset))
        if not chunk:
            return
        yield chunk
        offset += len(chunk)
