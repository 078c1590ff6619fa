"""`flask tickets import-history`: past tickets as closed tickets of the channel `import`."""

import json

from sqlalchemy import func, select

from hotline.extensions import db
from hotline.tickets.models import Ticket, TicketEvent


def _write(path, rows):
    path.write_text(
        "\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows) + "\n",
        encoding="utf-8",
    )
    return str(path)


def test_import_history_reports_bad_lines_imports_the_rest_and_updates_on_reimport(world, app, tmp_path):
    good = {
        "id": "old-1",
        "title": "养老金没有按时发放",
        "content": "我父亲的养老金本月没有到账，请尽快核实。",
        "created_at": "2025-03-04T09:30:00+08:00",
        "category": "SOC.PEN",
        "lead_unit": "DEPT-A",
        "area": "D1",
    }
    rows = [
        good,
        {"id": 2, "content": "咨询社保卡补办需要哪些材料。", "created_at": "2025-03-05 10:00", "category": "MISC"},
        "这不是 JSON",
        {"id": "old-3", "content": "内容", "created_at": "2025-03-05T10:00:00", "category": "NOPE"},
        {"id": "old-4", "content": "内容", "created_at": "昨天", "category": "MISC"},
        {"id": "old-5", "content": "内容", "created_at": "2025-03-05T10:00:00", "category": "MISC", "area": "DEPT-B"},
        {"id": "old-6", "content": "", "created_at": "2025-03-05T10:00:00", "category": "MISC"},
        "",
        {"id": "old-7", "content": "内容", "created_at": "2025-03-05T10:00:00", "category": "MISC", "lead_unit": "X"},
    ]
    path = _write(tmp_path / "history.jsonl", rows)
    runner = app.test_cli_runner()
    r = runner.invoke(args=["tickets", "import-history", path])
    assert r.exit_code == 1, r.output
    for line in ("第 3 行", "第 4 行（category）", "第 5 行（created_at）", "第 6 行（area）", "第 7 行（content）"):
        assert line in r.output, r.output
    assert "第 9 行（lead_unit）" in r.output and "新增 2 条" in r.output and "出错 6 行" in r.output
    with app.app_context():
        first = db.session.scalar(select(Ticket).where(Ticket.import_id == "old-1"))
        assert first.status == "closed" and first.channel == "import"
        assert first.content.startswith("养老金没有按时发放\n我父亲")
        assert first.lead_unit.code == "DEPT-A" and first.area_unit.code == "D1"
        assert first.created_at.isoformat() == "2025-03-04T01:30:00+00:00"
        assert first.number.startswith("20250304-")
        second = db.session.scalar(select(Ticket).where(Ticket.import_id == "2"))
        assert second.lead_unit_id is None and second.category.code == "MISC"
        events = db.session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == first.id)).all()
        assert [e.action for e in events] == ["import"] and events[0].actor.username == "admin"

    # Again, with one line changed: updated, not duplicated; the rest unchanged.
    path = _write(tmp_path / "history.jsonl", [good | {"lead_unit": "DEPT-B"}, rows[1]])
    r = runner.invoke(args=["tickets", "import-history", path, "--user", "dispatcher"])
    assert r.exit_code == 0, r.output
    assert "新增 0 条，更新 1 条，未变 1 条，出错 0 行" in r.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ticket).where(Ticket.channel == "import")) == 2
        first = db.session.scalar(select(Ticket).where(Ticket.import_id == "old-1"))
        assert first.lead_unit.code == "DEPT-B"
        last = db.session.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == first.id).order_by(TicketEvent.id.desc())
        ).first()
        assert last.data["fields"] == ["lead_unit_id"] and last.actor.username == "dispatcher"

    # Intake never offers the channel `import`.
    created = world.client("operator").post(
        "/api/v1/tickets",
        json={
            "caller_phone": "13800138000",
            "request_type": "help",
            "category": "MISC",
            "content": "测试",
            "channel": "import",
        },
    )
    assert created.status_code == 422 and created.json["error"]["field"] == "channel"
