"""Each host's index catches up from the articles' change sequence (knowledge_base/changes.py)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.core import clock
from hotline.extensions import db
from knowledge_base import changes, indexing, services
from knowledge_base.models import Article
from tests.conftest import TEST_DB, world_on

FUND = ("公积金账户封存后怎么提取", "离职后公积金账户封存满六个月，可以凭身份证到管理中心申请提取。")
PENSION = ("养老金领取资格认证", "每年需要进行一次养老金领取资格认证，可以在手机上刷脸完成。")


def titles(world, q, **params):
    r = world.client("operator").get("/api/v1/kb/search", query_string={"q": q, **params})
    assert r.status_code == 200, r.json
    return [item["title"] for item in r.json["results"]]


def _current(app) -> str:
    return (Path(app.config["DATA_DIR"]) / "kb_index" / "CURRENT").read_text()


def test_a_second_host_catches_up_and_rebuilds_when_its_mark_is_ahead(make_app, database, tmp_path, monkeypatch):
    host_a = make_app(template="world", DATA_DIR=str(tmp_path / "a"), KB_INDEX_SYNC_SECONDS=0)
    host_b = make_app(DATA_DIR=str(tmp_path / "b"), KB_INDEX_SYNC_SECONDS=0)
    a, b = world_on(host_a, database), world_on(host_b, database)
    first = a.article(title=FUND[0], body=FUND[1])
    assert titles(b, "公积金封存") == [FUND[0]]  # B had no index: built from the database
    with host_a.app_context():
        before = changes.current(db.session)
    second = a.article(title=PENSION[0], body=PENSION[1])  # create, submit, publish: one commit
    with host_a.app_context():
        assert changes.current(db.session) == before + 1
        assert db.session.get(Article, second).change_seq == before + 1
        assert db.session.get(Article, first).change_seq < before + 1
    generation = _current(host_b)
    assert titles(b, "养老金认证") == [PENSION[0]]  # caught up, not rebuilt
    assert _current(host_b) == generation

    # Many changes at once (an import on another host): a background thread applies them,
    # the searches meanwhile answer from the index as it is.
    monkeypatch.setattr(indexing, "INLINE_CATCH_UP", 1)
    with host_a.app_context():
        for article in db.session.scalars(select(Article)):
            article.body += "也可以在线办理。"
        db.session.commit()
    deadline = time.monotonic() + 20
    while titles(b, "在线办理") != [FUND[0], PENSION[0]] and titles(b, "在线办理") != [PENSION[0], FUND[0]]:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert _current(host_b) == generation

    # The database's sequence behind the host's mark (the database was restored): rebuilt.
    (Path(host_b.config["DATA_DIR"]) / "kb_index" / generation / "SYNCED").write_text("1000000000")
    with host_a.app_context():
        services.retire(db.session.get(Article, first), actor=a.user("kb_editor"), now=clock.now())
        db.session.commit()
    assert titles(b, "养老金认证") == [PENSION[0]]
    assert _current(host_b) != generation
    r = b.client("kb_editor").get("/api/v1/kb/search", query_string={"q": "公积金封存", "status": "retired"})
    assert [item["title"] for item in r.json["results"]] == [FUND[0]]


def test_a_rolled_back_change_moves_nothing(app, world):
    article_id = world.article(title=FUND[0], body=FUND[1])
    with app.app_context():
        before = changes.current(db.session)
        db.session.get(Article, article_id).body = "改了又撤回"
        db.session.flush()
        db.session.rollback()
        db.session.commit()
        assert changes.current(db.session) == before


@pytest.mark.postgresql
@pytest.mark.skipif(TEST_DB != "postgresql", reason="two open writers: SQLite has one writer at a time")
def test_the_sequence_follows_the_commit_order_not_the_start(app, world):
    """A long transaction that changed an article before a short one committed gets the
    higher value: it is stamped when it commits (a host that read the short one's value
    and caught up would otherwise never look at the long one's article)."""
    early, late = world.article(title=FUND[0], body=FUND[1]), world.article(title=PENSION[0], body=PENSION[1])
    with app.app_context():
        with Session(db.engine) as long_one:
            long_one.get(Article, early).body = "先改的，后提交"
            long_one.flush()
            with Session(db.engine) as short_one:
                short_one.get(Article, late).body = "后改的，先提交"
                short_one.commit()
            long_one.commit()
        assert db.session.get(Article, early).change_seq == db.session.get(Article, late).change_seq + 1
