"""After-commit hooks run once, after the outermost commit, never after a savepoint."""

from sqlalchemy import text

from hotline.core import hooks
from hotline.extensions import db


def test_a_savepoint_release_does_not_run_the_side_effects(app_ctx):
    ran = []
    session = db.session()
    db.session.execute(text("UPDATE units SET name = name"))
    hooks.after_commit(session, ran.append, "sent")
    with db.session.begin_nested():
        db.session.execute(text("UPDATE units SET name = name"))
    assert ran == []  # the change is not committed yet: nothing may leave the system
    db.session.commit()
    assert ran == ["sent"]
    db.session.commit()
    assert ran == ["sent"]


def test_a_rollback_discards_the_side_effects(app_ctx):
    ran = []
    db.session.execute(text("UPDATE units SET name = name"))
    hooks.after_commit(db.session(), ran.append, "sent")
    db.session.rollback()
    db.session.commit()
    assert ran == []
