"""Page rules for the knowledge-base pages (see test_page_permissions.py).

Readers: operator, dispatcher, supervisor, kb_editor, admin; editors: kb_editor, admin.
Unit staff are refused everywhere. The articles are written by admin, so kb_editor may
publish them (another editor than the author).
"""

from tests import kb_setups
from tests.kb_setups import EDITORS, READERS

from .test_page_permissions import ok_for

ARTICLE = {
    "title": "居住证办理条件",
    "body": "在本市居住半年以上，有合法稳定就业、住所或连续就读的，可以申请居住证。",
    "keywords": "居住证，积分",
}

PAGES = {
    ("GET", "/kb"): {"path": {}, "expected": ok_for(READERS)},
    ("GET", "/ui/kb/suggest"): {"expected": ok_for(READERS, anonymous=401)},
    ("POST", "/ui/kb/suggest"): {
        "form": {"text": "社保卡丢失怎么办", "limit": "5"},
        "expected": ok_for(READERS, anonymous=401),
    },
    ("GET", "/kb/articles/<article_id>"): {"setup": kb_setups.article("published"), "expected": ok_for(READERS)},
    ("POST", "/kb/articles/<article_id>/flags"): {
        "setup": kb_setups.article("published"),
        "form": {"kind": "outdated", "note": "政策已调整"},
        "expected": ok_for(READERS, 303),
    },
    ("POST", "/kb/search/articles/<article_id>/flags"): {
        "setup": kb_setups.article("published"),
        "form": {"kind": "wrong", "note": "电话已变更"},
        "expected": ok_for(READERS, 303),
    },
    ("POST", "/ui/kb/articles/<article_id>/flags"): {
        "setup": kb_setups.article("published"),
        "form": {"kind": "wrong", "note": "电话已变更"},
        "expected": ok_for(READERS, 201, anonymous=401),
    },
    ("GET", "/kb/articles"): {"expected": ok_for(EDITORS)},
    ("GET", "/kb/articles/new"): {"expected": ok_for(EDITORS)},
    ("POST", "/kb/articles/new"): {"form": ARTICLE, "expected": ok_for(EDITORS, 303)},
    ("GET", "/kb/articles/<article_id>/edit"): {"setup": kb_setups.article("draft"), "expected": ok_for(EDITORS)},
    ("POST", "/kb/articles/<article_id>/edit"): {
        "setup": kb_setups.article("draft"),
        "form": ARTICLE,
        "expected": ok_for(EDITORS, 303),
    },
    ("GET", "/kb/flags"): {"expected": ok_for(EDITORS)},
    ("POST", "/kb/flags/<flag_id>/resolve"): {
        "setup": kb_setups.flag,
        "form": {"resolution": "已更新电话"},
        "expected": ok_for(EDITORS, 303),
    },
    ("GET", "/kb/review-due"): {"expected": ok_for(EDITORS)},
    ("GET", "/kb/synonyms"): {"expected": ok_for(EDITORS)},
    ("POST", "/kb/synonyms"): {"form": {"terms": "公积金 住房公积金"}, "expected": ok_for(EDITORS, 303)},
    ("POST", "/kb/synonyms/<group_id>/delete"): {"setup": kb_setups.synonyms, "expected": ok_for(EDITORS, 303)},
}


# One route serves the four workflow actions; each is checked for every role.
WORKFLOW = {
    "submit": {"setup": kb_setups.article("draft"), "expected": ok_for(EDITORS, 303)},
    "publish": {"setup": kb_setups.article("in_review"), "expected": ok_for(EDITORS, 303)},
    "return": {"setup": kb_setups.article("in_review"), "expected": ok_for(EDITORS, 303)},
    "retire": {"setup": kb_setups.article("published"), "expected": ok_for(EDITORS, 303)},
}
