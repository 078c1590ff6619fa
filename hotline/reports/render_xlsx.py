"""The bulletin as an Excel workbook (openpyxl): one sheet per table, Chinese headers,
ready to print on A4 (orientation, fit to width, repeated header rows, page numbers),
native Excel charts where they help. Rates are stored as numbers (fractions) formatted
as percentages, so the cells hold exactly the JSON's values; a rate with nothing due is
an empty cell.
"""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from . import monthly
from .render_common import change_text, levels_with_units, value_text

HEADER_ROW = 3  # row 1: the sheet's title; row 2: the period and status; row 3: the headers
TITLE_FONT = Font(name="宋体", size=14, bold=True)
HEADER_FONT = Font(name="宋体", size=10, bold=True)
BODY_FONT = Font(name="宋体", size=10)
HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
THIN = Side(style="thin", color="999999")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
FORMATS = {"int": "0", "rate": "0.0%", "score": "0.0", "change": "+0.0%;-0.0%;0.0%", "text": "@"}
WIDTHS = {"int": 9, "rate": 11, "score": 10, "change": 11, "text": 30}


def _names(items) -> str:
    return "、".join(i["name"] for i in (items or [])[:3])


def _tables(doc: dict) -> list[dict]:
    """Every sheet after the summary: title, columns (key, header, kind), rows, options."""
    text, count = "text", "int"
    tables = [
        {
            "title": "受理量走势",
            "columns": [
                ("month", "月份", text),
                ("received", "话务受理量", count),
                ("answered_on_call", "直接答复数", count),
            ],
            "rows": doc["trend"],
            "chart": _trend_chart,
        },
    ]
    for key, title in (
        ("by_request_type", "诉求类型"),
        ("by_category", "诉求分类"),
        ("by_channel", "受理渠道"),
        ("by_area", "诉求区域"),
    ):
        chart = _bar_chart(title) if key in ("by_request_type", "by_category") else None
        tables.append(
            {
                "title": title,
                "columns": [("label", title, text), ("count", "件数", count)],
                "rows": doc["volume"][key],
                "chart": chart,
            }
        )
    for level, rows in levels_with_units(doc):
        tables.append(
            {"title": f"{level['label']}单位", "columns": monthly.unit_columns(), "rows": rows, "landscape": True}
        )
    for group, title in (("city", "市直部门排名"), ("local", "区镇街排名")):
        ranked = sorted(
            (u for u in doc["units"] if u["rank_group"] == group and u["rank"] is not None),
            key=lambda u: (u["rank"], u["code"]),
        )
        tables.append(
            {
                "title": title,
                "columns": [("rank", "排名", count), ("name", "单位", text), ("score", "综合得分", "score")],
                "rows": ranked,
                "chart": _bar_chart(title, horizontal=True),
            }
        )
    rated = sorted(
        (u for u in doc["units"] if u["satisfaction_rate"] is not None),
        key=lambda u: (-u["satisfaction_rate"], u["code"]),
    )
    tables.append(
        {
            "title": "满意率",
            "columns": [
                ("name", "单位", text),
                ("satisfaction_rate", "满意率", "rate"),
                ("dissatisfied", "不满意数", count),
            ],
            "rows": rated,
            "chart": _bar_chart("满意率", horizontal=True),
        }
    )
    tables.append(
        {
            "title": "热点诉求",
            "columns": [
                ("label", "热点诉求", text),
                ("count", "件数", count),
                ("change", "较上期", count),
                ("areas_text", "主要区域", text),
                ("tickets_text", "涉及工单（部分）", text),
            ],
            "rows": [
                {**t, "areas_text": _names(t.get("areas")), "tickets_text": "、".join((t.get("tickets") or [])[:10])}
                for t in doc["hot_topics"]
            ],
        }
    )
    tables.append(
        {
            "title": "突发聚集诉求",
            "columns": [
                ("label", "诉求", text),
                ("count", "来电人数", count),
                ("area_name", "区域", text),
                ("category_name", "分类", text),
                ("first_at", "首次", text),
                ("last_at", "最近", text),
            ],
            "rows": [
                {
                    **s,
                    "area_name": (s.get("area") or {}).get("name"),
                    "category_name": (s.get("category") or {}).get("name"),
                }
                for s in doc["spikes"]
            ],
        }
    )
    tables.append(
        {
            "title": "超期工单",
            "columns": [
                ("number", "工单编号", text),
                ("unit_name", "承办单位", text),
                ("category", "诉求分类", text),
                ("due_at", "办理时限", text),
                ("overdue_hours", "超期（小时）", "score"),
                ("status_label", "状态", text),
            ],
            "rows": doc["worst_overdue"],
            "landscape": True,
        }
    )
    tables.append(
        {
            "title": "考核免责",
            "columns": [
                ("number", "工单编号", text),
                ("unit_name", "单位", text),
                ("reason", "免责理由", text),
                ("note", "说明", text),
                ("decided_at", "批准时间", text),
            ],
            "rows": doc["exemptions"],
            "landscape": True,
        }
    )
    tables.append(
        {
            "title": "指标说明",
            "columns": [("name", "指标", text), ("definition", "定义", text)],
            "rows": doc["definitions"],
            "widths": {"definition": 90},
            "landscape": True,
        }
    )
    if doc.get("corrections"):
        rows = [
            {
                **c,
                "recorded_at": r["recorded_at"][:10],
                "was_text": value_text(c["was"], c["kind"]),
                "now_text": value_text(c["now"], c["kind"]),
            }
            for r in doc["corrections"]
            for c in r["changes"]
        ]
        tables.append(
            {
                "title": "更正",
                "columns": [
                    ("recorded_at", "更正日期", text),
                    ("name", "单位", text),
                    ("label", "指标", text),
                    ("was_text", "原值", text),
                    ("now_text", "更正为", text),
                ],
                "rows": rows,
            }
        )
    return tables


def render(doc: dict) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    _summary(wb, doc)
    for table in _tables(doc):
        _table(
            wb,
            doc,
            table["title"],
            table["columns"],
            table["rows"],
            chart=table.get("chart"),
            landscape=table.get("landscape", False),
            widths=table.get("widths"),
        )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _status(doc: dict) -> str:
    period = f"统计期间：{doc['period']['start'][:10]} 至 {doc['period']['end'][:10]}（不含）"
    if doc["published"]:
        return f"{period}；已发布（{doc['published_at'][:16].replace('T', ' ')}）"
    return f"{period}；预览稿，未发布（数据截至 {doc['as_of'][:16].replace('T', ' ')}）"


def _sheet(wb: Workbook, doc: dict, title: str, ncols: int, *, landscape: bool):
    ws = wb.create_sheet(title)
    ws["A1"] = f"{doc['title']} — {title}"
    ws["A1"].font = TITLE_FONT
    ws["A2"] = _status(doc)
    ws["A2"].font = BODY_FONT
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=max(ncols, 2))
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    ws.oddHeader.center.text = title
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=1)
    return ws


def _table(wb, doc, title, columns, rows, *, chart=None, landscape=False, widths=None):
    ws = _sheet(wb, doc, title, len(columns), landscape=landscape)
    for col, (key, header, kind) in enumerate(columns, start=1):
        cell = ws.cell(row=HEADER_ROW, column=col, value=header)
        cell.font, cell.fill, cell.border = HEADER_FONT, HEADER_FILL, BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        width = (widths or {}).get(key) or WIDTHS[kind]
        ws.column_dimensions[get_column_letter(col)].width = max(width, len(header) * 2 + 2)
    for r, row in enumerate(rows, start=HEADER_ROW + 1):
        for col, (key, _header, kind) in enumerate(columns, start=1):
            value = row.get(key)
            cell = ws.cell(row=r, column=col, value=value if value != "" else None)
            cell.font, cell.border = BODY_FONT, BORDER
            cell.number_format = FORMATS[kind]
            if kind == "text":
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    if not rows:
        ws.cell(row=HEADER_ROW + 1, column=1, value="本期无")
    ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(columns))}{HEADER_ROW + max(len(rows), 1)}"
    if chart is not None and rows:
        chart(ws, len(rows), len(columns))
    return ws


def _trend_chart(ws, nrows: int, ncols: int) -> None:
    last = HEADER_ROW + nrows
    bars = BarChart()
    bars.title = "近12个月受理量走势"
    bars.y_axis.title = "件数"
    bars.add_data(Reference(ws, min_col=2, min_row=HEADER_ROW, max_row=last), titles_from_data=True)
    bars.set_categories(Reference(ws, min_col=1, min_row=HEADER_ROW + 1, max_row=last))
    line = LineChart()
    line.add_data(Reference(ws, min_col=3, min_row=HEADER_ROW, max_row=last), titles_from_data=True)
    bars += line
    bars.height, bars.width = 8, 18
    ws.add_chart(bars, f"{get_column_letter(ncols + 2)}{HEADER_ROW}")


def _bar_chart(title: str, *, horizontal: bool = False):
    def add(ws, nrows: int, ncols: int) -> None:
        last = HEADER_ROW + nrows
        chart = BarChart()
        chart.type = "bar" if horizontal else "col"
        chart.title = title
        chart.legend = None
        label_col = 2 if ncols == 3 and ws.cell(row=HEADER_ROW, column=1).value == "排名" else 1
        value_col = ncols if ncols == 2 or label_col == 2 else 2
        chart.add_data(Reference(ws, min_col=value_col, min_row=HEADER_ROW, max_row=last), titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=label_col, min_row=HEADER_ROW + 1, max_row=last))
        if horizontal:
            chart.y_axis.scaling.min = 0
            chart.x_axis.scaling.orientation = "maxMin"  # the first row on top
        chart.height, chart.width = max(7.5, 0.5 * nrows + 2), 16
        ws.add_chart(chart, f"{get_column_letter(ncols + 2)}{HEADER_ROW}")

    return add


def _summary(wb: Workbook, doc: dict) -> None:
    rows = []
    for key, label, kind in monthly.centre_rows():
        rows.append({"group": "热线中心", "label": label, "value": doc["centre"].get(key), "kind": kind})
    for key, label, kind in monthly.summary_rows():
        rows.append({"group": "成员单位合计", "label": label, "value": doc["summary"].get(key), "kind": kind})
    ws = _sheet(wb, doc, "概要", 4, landscape=False)
    for col, header in enumerate(("类别", "指标", "数值", "说明"), start=1):
        cell = ws.cell(row=HEADER_ROW, column=col, value=header)
        cell.font, cell.fill, cell.border = HEADER_FONT, HEADER_FILL, BORDER
    for r, row in enumerate(rows, start=HEADER_ROW + 1):
        kind = row["kind"]
        values = (
            row["group"],
            row["label"],
            row["value"],
            change_text(row["value"]) if kind == "change" else ("本期无应考核件" if row["value"] is None else ""),
        )
        for col, value in enumerate(values, start=1):
            cell = ws.cell(row=r, column=col, value=value)
            cell.font, cell.border = BODY_FONT, BORDER
        ws.cell(row=r, column=3).number_format = FORMATS[kind]
    for col, width in zip("ABCD", (14, 20, 14, 24), strict=True):
        ws.column_dimensions[col].width = width
