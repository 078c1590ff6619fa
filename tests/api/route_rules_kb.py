"""Knowledge-base routes × every role (read by test_route_permissions.py).

Readers: operator, dispatcher, supervisor, kb_editor, admin. Editors: kb_editor, admin.
Unit staff (of any unit) are refused everywhere. Publishing is by another editor than
the author: the articles here are written by admin, so kb_editor may publish them.
"""

from tests import kb_setups
from tests.kb_setups import EDITORS, READERS

from .test_route_permissions import _ok_for

ARTICLE = "/api/v1/kb/articles/<article_id>"

RULES = {
    ("GET", "/api/v1/kb/search"): {"expected": _ok_for(READERS)},
    ("GET", "/api/v1/kb/suggest"): {"expected": _ok_for(READERS)},
    ("POST", "/api/v1/kb/suggest"): {"body": {"text": "社保卡丢失"}, "expected": _ok_for(READERS)},
    ("GET", "/api/v1/kb/articles"): {"expected": _ok_for(READERS)},
    ("POST", "/api/v1/kb/articles"): {
        "body": {"title": "居住证办理", "body": "持身份证到社区登记。", "category": "SOC"},
        "expected": _ok_for(EDITORS, 201),
    },
    ("GET", ARTICLE): {"setup": kb_setups.article("published"), "expected": _ok_for(READERS)},
    ("PATCH", ARTICLE): {
        "setup": kb_setups.article("draft"),
        "body": {"title": "新标题"},
        "expected": _ok_for(EDITORS),
    },
    ("POST", ARTICLE + "/submit"): {"setup": kb_setups.article("draft"), "expected": _ok_for(EDITORS)},
    ("POST", ARTICLE + "/publish"): {"setup": kb_setups.article("in_review"), "expected": _ok_for(EDITORS)},
    ("POST", ARTICLE + "/return"): {"setup": kb_setups.article("in_review"), "expected": _ok_for(EDITORS)},
    ("POST", ARTICLE + "/retire"): {"setup": kb_setups.article("published"), "expected": _ok_for(EDITORS)},
    ("POST", ARTICLE + "/flags"): {
        "setup": kb_setups.article("published"),
        "body": {"kind": "outdated", "note": "政策已调整"},
        "expected": _ok_for(READERS, 201),
    },
    ("GET", "/api/v1/kb/flags"): {"expected": _ok_for(EDITORS)},
    ("POST", "/api/v1/kb/flags/<flag_id>/resolve"): {
        "setup": kb_setups.flag,
        "body": {"resolution": "已更正"},
        "expected": _ok_for(EDITORS),
    },
    ("GET", "/api/v1/kb/synonyms"): {"expected": _ok_for(EDITORS)},
    ("POST", "/api/v1/kb/synonyms"): {"body": {"terms": ["社保", "社会保险"]}, "expected": _ok_for(EDITORS, 201)},
    ("PATCH", "/api/v1/kb/synonyms/<group_id>"): {
        "setup": kb_setups.synonyms,
        "body": {"terms": ["医保", "医疗保险", "基本医疗保险"]},
        "expected": _ok_for(EDITORS),
    },
    ("DELETE", "/api/v1/kb/synonyms/<group_id>"): {"setup": kb_setups.synonyms, "expected": _ok_for(EDITORS, 204)},
    ("GET", "/api/v1/kb/review-due"): {"expected": _ok_for(EDITORS)},
}
