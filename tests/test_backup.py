"""Backups that restore: `flask backup DEST` under concurrent writes, `flask restore SRC`.

On SQLite (the embedded default) through the online backup API; on PostgreSQL through
pg_dump/pg_restore (the PostgreSQL run of the suite is CI's round trip)."""

import json
import shutil
import threading
from pathlib import Path

from sqlalchemy import select

from hotline.core import clock
from hotline.extensions import db
from hotline.tickets.models import Ticket, TicketEvent
from knowledge_base import searching
from knowledge_base.models import Article

from .api.test_lifecycle import NEW_TICKET


def _create(client, token, content):
    r = client.post(
        "/api/v1/tickets", json={**NEW_TICKET, "content": content}, headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status_code == 201, r.get_json()
    return r.get_json()["number"]


def _numbers(app) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(select(Ticket.number)))


def test_backup_while_writing_then_restore_finds_every_ticket_event_and_article(world, app, tmp_path):
    token = world.tokens["operator"]
    before = {_create(app.test_client(), token, f"备份之前登记的工单 {i}") for i in range(3)}
    with app.app_context():
        now = clock.now()
        article = Article(title="备份恢复测试条目：路灯报修", body="路灯不亮请拨打城管热线报修。", status="published")
        article.created_at = article.updated_at = article.published_at = now
        db.session.add(article)
        db.session.commit()
    stop = threading.Event()
    during: list[str] = []

    def writer():
        client = app.test_client()
        while not stop.is_set() and len(during) < 50:
            during.append(_create(client, token, f"备份期间登记的工单 {len(during)}"))

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(during) < 2:  # the backup starts while tickets are being written
            threading.Event().wait(0.01)
        r = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "bk")])
    finally:
        stop.set()
        thread.join(timeout=60)
    assert r.exit_code == 0, r.output
    manifest = json.loads((tmp_path / "bk" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["tickets"] >= len(before) + 2 and manifest["revision"]

    # Afterwards: more tickets, an article deleted, the index thrown away.
    after = {_create(app.test_client(), token, f"备份之后登记的工单 {i}") for i in range(2)}
    with app.app_context():
        db.session.execute(Article.__table__.delete())
        db.session.commit()
    shutil.rmtree(Path(app.config["DATA_DIR"]) / "kb_index", ignore_errors=True)

    r = app.test_cli_runner().invoke(args=["restore", str(tmp_path / "bk"), "--yes"])
    assert r.exit_code == 0, r.output
    restored = _numbers(app)
    assert before <= restored and not (after & restored)
    assert len(restored) == manifest["tickets"]
    with app.app_context():
        assert db.session.query(TicketEvent).count() == manifest["events"]
        assert db.session.query(Article).count() == manifest["articles"] >= 1
        # every restored ticket has its creation event: nothing half-copied
        created = db.session.query(TicketEvent).filter_by(action="create").count()
        assert created == len(restored)
        from hotline.accounts.models import User

        operator = db.session.get(User, world.user_ids["operator"])
        hits = searching.search(operator, "路灯报修")
        assert any("备份恢复测试条目" in h.title for h in hits)


def test_backup_refuses_a_non_empty_destination_and_restore_a_non_backup(world, app, tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    r = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "full")])
    assert r.exit_code != 0 and "not empty" in r.output
    (tmp_path / "empty").mkdir()
    numbers = _numbers(app)
    r = app.test_cli_runner().invoke(args=["restore", str(tmp_path / "empty"), "--yes"])
    assert r.exit_code != 0 and "not a backup" in r.output
    assert _numbers(app) == numbers


def test_restore_refuses_a_backup_of_the_other_database(world, app, tmp_path):
    dest = tmp_path / "bk"
    assert app.test_cli_runner().invoke(args=["backup", str(dest)]).exit_code == 0
    manifest = json.loads((dest / "manifest.json").read_text(encoding="utf-8"))
    manifest["dialect"] = "postgresql" if manifest["dialect"] == "sqlite" else "sqlite"
    (dest / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    r = app.test_cli_runner().invoke(args=["restore", str(dest), "--yes"])
    assert r.exit_code != 0 and "cannot be restored" in r.output
