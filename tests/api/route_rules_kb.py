"""Knowledge-base routes × every role (read by test_route_permissions.py).

Readers: operator, dispatcher, supervisor, kb_editor, admin. Editors: kb_editor, admin.
Unit staff (of any unit) are refused everywhere. Publishing is by another editor than
the author: the articles here are written by admin, so kb_editor may publish them.
"""

from hotline.core import clock
from hotline.extensions import db

from .test_route_permissions import _ok_for

READERS = ["operator", "dispatcher", "supervisor", "kb_editor", "admin"]
EDITORS = ["kb_editor", "admin"]


def _article(status):
    return lambda world: {"article_id": world.article(status=status)}


def _flag(world):
    from knowledge_base import services

    article_id = world.article(status="published")
    with world.app.app_context():
        article = services.get_published(article_id)
        item = services.flag(article, actor=world.user("operator"), now=clock.now(), kind="wrong", note="电话已变更")
        db.session.commit()
        return {"flag_id": item.id}


def _synonyms(world):
    from knowledge_base import services

    with world.app.app_context():
        group = services.create_synonyms(actor=world.user("kb_editor"), now=clock.now(), terms=["医保", "医疗保险"])
        db.session.commit()
        return {"group_id": group.id}


ARTICLE = "/api/v1/kb/articles/<article_id>"

RULES = {
    ("GET", "/api/v1/kb/search"): {"expected": _ok_for(READERS)},
    ("GET", "/api/v1/kb/suggest"): {"expected": _ok_for(READERS)},
    ("GET", "/api/v1/kb/articles"): {"expected": _ok_for(READERS)},
    ("POST", "/api/v1/kb/articles"): {
        "body": {"title": "居住证办理", "body": "持身份证到社区登记。", "category": "SOC"},
        "expected": _ok_for(EDITORS, 201),
    },
    ("GET", ARTICLE): {"setup": _article("published"), "expected": _ok_for(READERS)},
    ("PATCH", ARTICLE): {"setup": _article("draft"), "body": {"title": "新标题"}, "expected": _ok_for(EDITORS)},
    ("POST", ARTICLE + "/submit"): {"setup": _article("draft"), "expected": _ok_for(EDITORS)},
    ("POST", ARTICLE + "/publish"): {"setup": _article("in_review"), "expected": _ok_for(EDITORS)},
    ("POST", ARTICLE + "/return"): {"setup": _article("in_review"), "expected": _ok_for(EDITORS)},
    ("POST", ARTICLE + "/retire"): {"setup": _article("published"), "expected": _ok_for(EDITORS)},
    ("POST", ARTICLE + "/flags"): {
        "setup": _article("published"),
        "body": {"kind": "outdated", "note": "政策已调整"},
        "expected": _ok_for(READERS, 201),
    },
    ("GET", "/api/v1/kb/flags"): {"expected": _ok_for(EDITORS)},
    ("POST", "/api/v1/kb/flags/<flag_id>/resolve"): {
        "setup": _flag,
        "body": {"resolution": "已更正"},
        "expected": _ok_for(EDITORS),
    },
    ("GET", "/api/v1/kb/synonyms"): {"expected": _ok_for(EDITORS)},
    ("POST", "/api/v1/kb/synonyms"): {"body": {"terms": ["社保", "社会保险"]}, "expected": _ok_for(EDITORS, 201)},
    ("PATCH", "/api/v1/kb/synonyms/<group_id>"): {
        "setup": _synonyms,
        "body": {"terms": ["医保", "医疗保险", "基本医疗保险"]},
        "expected": _ok_for(EDITORS),
    },
    ("DELETE", "/api/v1/kb/synonyms/<group_id>"): {"setup": _synonyms, "expected": _ok_for(EDITORS, 204)},
    ("GET", "/api/v1/kb/review-due"): {"expected": _ok_for(EDITORS)},
}
