"""Page rules for the knowledge-base pages (see test_page_permissions.py).

Readers: operator, dispatcher, supervisor, kb_editor, admin; editors: kb_editor, admin.
Unit staff are refused everywhere. The articles are written by admin, so kb_editor may
publish them (another editor than the author).
"""

from hotline.core import clock
from hotline.extensions import db

from .test_page_permissions import ok_for

READERS = ["operator", "dispatcher", "supervisor", "kb_editor", "admin"]
EDITORS = ["kb_editor", "admin"]


def _article(status):
    return lambda world: {"article_id": world.article(status=status)}


def _flag(world):
    from knowledge_base import services

    article_id = world.article(status="published")
    with world.app.app_context():
        item = services.flag(
            services.get_published(article_id),
            actor=world.user("operator"),
            now=clock.now(),
            kind="wrong",
            note="电话已变更",
        )
        db.session.commit()
        return {"flag_id": item.id}


def _synonyms(world):
    from knowledge_base import services

    with world.app.app_context():
        group = services.create_synonyms(actor=world.user("kb_editor"), now=clock.now(), terms=["医保", "医疗保险"])
        db.session.commit()
        return {"group_id": group.id}


ARTICLE = {
    "title": "居住证办理条件",
    "body": "在本市居住半年以上，有合法稳定就业、住所或连续就读的，可以申请居住证。",
    "keywords": "居住证，积分",
}

PAGES = {
    ("GET", "/kb"): {"path": {}, "expected": ok_for(READERS)},
    ("GET", "/ui/kb/suggest"): {"expected": ok_for(READERS)},
    ("GET", "/kb/articles/<article_id>"): {"setup": _article("published"), "expected": ok_for(READERS)},
    ("POST", "/kb/articles/<article_id>/flags"): {
        "setup": _article("published"),
        "form": {"kind": "outdated", "note": "政策已调整"},
        "expected": ok_for(READERS, 303),
    },
    ("GET", "/kb/articles"): {"expected": ok_for(EDITORS)},
    ("GET", "/kb/articles/new"): {"expected": ok_for(EDITORS)},
    ("POST", "/kb/articles/new"): {"form": ARTICLE, "expected": ok_for(EDITORS, 303)},
    ("GET", "/kb/articles/<article_id>/edit"): {"setup": _article("draft"), "expected": ok_for(EDITORS)},
    ("POST", "/kb/articles/<article_id>/edit"): {
        "setup": _article("draft"),
        "form": ARTICLE,
        "expected": ok_for(EDITORS, 303),
    },
    ("GET", "/kb/flags"): {"expected": ok_for(EDITORS)},
    ("POST", "/kb/flags/<flag_id>/resolve"): {
        "setup": _flag,
        "form": {"resolution": "已更新电话"},
        "expected": ok_for(EDITORS, 303),
    },
    ("GET", "/kb/review-due"): {"expected": ok_for(EDITORS)},
    ("GET", "/kb/synonyms"): {"expected": ok_for(EDITORS)},
    ("POST", "/kb/synonyms"): {"form": {"terms": "公积金 住房公积金"}, "expected": ok_for(EDITORS, 303)},
    ("POST", "/kb/synonyms/<group_id>/delete"): {"setup": _synonyms, "expected": ok_for(EDITORS, 303)},
}


# One route serves the four workflow actions; each is checked for every role.
WORKFLOW = {
    "submit": {"setup": _article("draft"), "expected": ok_for(EDITORS, 303)},
    "publish": {"setup": _article("in_review"), "expected": ok_for(EDITORS, 303)},
    "return": {"setup": _article("in_review"), "expected": ok_for(EDITORS, 303)},
    "retire": {"setup": _article("published"), "expected": ok_for(EDITORS, 303)},
}
