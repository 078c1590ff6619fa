"""No code, username or English field name reaches a person: every page every role can open,
read as the browser shows it (text, not markup), holds none of the known leaks.

The world's users get Chinese display names first, so that a username on a page is a leak;
tickets in every state, a supervision case, messages in the outbox and an article with a
history give the pages something to show.
"""

import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from hotline.accounts.models import User
from hotline.core import clock
from hotline.extensions import db
from knowledge_base import services as kb
from knowledge_base.models import Article
from tests.factories import UNITS, USERS

pytestmark = pytest.mark.any_database

ROLE_CODES = ["operator", "dispatcher", "unit_staff", "supervisor", "kb_editor", "admin"]
STATUS_CODES = [
    "pending_dispatch",
    "dispatched",
    "accepted",
    "returned",
    "replied",
    "reopened",
    "merged",
    "in_review",
    "published",
    "retired",
    "rectification_ordered",
    "pending",
    "approved",
    "refused",
    "recorded",
]
FIELD_NAMES = [
    "caller_phone",
    "caller_name",
    "request_type",
    "category",
    "content",
    "lead_unit",
    "assist_units",
    "owner_unit",
    "effective_on",
    "review_by",
    "keywords",
    "title",
    "body",
    "status",
    "reason",
    "note",
    "complaint",
    "card",
    "manual",
]
LEAKS = sorted(
    set(ROLE_CODES + STATUS_CODES + FIELD_NAMES + list(USERS) + [code for code, *_ in UNITS] + ["None", "null"])
)
_LEAK = re.compile(r"(?<![A-Za-z0-9_.-])(" + "|".join(re.escape(w) for w in LEAKS) + r")(?![A-Za-z0-9_-])")

ROLES = ["operator", "dispatcher", "staff_a", "supervisor", "kb_editor", "admin"]
LIST_PAGES = [
    "/tickets",
    "/tickets/new",
    "/kb",
    "/kb/articles",
    "/kb/flags",
    "/kb/review-due",
    "/kb/synonyms",
    "/supervision/cases",
    "/supervision/cards",
    "/notifications",
    "/dashboard",
    "/reports",
    "/reports/exemptions",
    "/reports/hot-topics",
    "/reports/bulletins",
    "/reports/scheme",
]
STATES = ["new", "pending_dispatch", "returned", "extension_pending", "replied", "reopened", "closed", "merged"]


class _Text(HTMLParser):
    """The text a person sees: no tags, attributes, scripts or styles."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self._hidden += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template"):
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


def _signed_in(app, username):
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": "password-123"}).status_code == 302
    return client


@pytest.fixture
def busy_world(app, world):
    with app.app_context():
        for i, user in enumerate(db.session.scalars(select(User))):
            user.display_name = f"张{'一二三四五六七八九十'[i % 10]}{i}"
        db.session.commit()
    numbers = [world.ticket(state) for state in STATES]
    article_id = world.article(title="社保卡丢失怎么补办")
    with app.app_context():
        article = db.session.get(Article, article_id)
        kb.update_article(article, actor=world.user("kb_editor"), now=clock.now(), changes={"keywords": ["社保卡"]})
        db.session.commit()
    return numbers, article_id


def _pages(app, numbers, article_id):
    pages = [*LIST_PAGES, f"/kb/articles/{article_id}"]
    pages += [f"/tickets/{n}" for n in numbers]
    with app.app_context():
        from hotline.supervision.models import SupervisionCase as Case

        pages += [f"/supervision/cases/{c}" for c in db.session.scalars(select(Case.id))]
    return pages


@pytest.mark.parametrize("role", ROLES)
def test_no_page_shows_a_code_a_username_or_an_english_field_name(app, busy_world, role):
    numbers, article_id = busy_world
    client = _signed_in(app, role)
    seen = 0
    leaks = {}
    for path in _pages(app, numbers, article_id):
        r = client.get(path)
        if r.status_code != 200 or r.mimetype != "text/html":
            continue
        seen += 1
        found = sorted(set(_LEAK.findall(visible_text(r.get_data(as_text=True)))))
        if found:
            leaks[path] = found
    assert seen >= 3
    assert leaks == {}


def test_the_scan_finds_a_leak():
    assert _LEAK.findall(visible_text("<p>category：不能为空 · staff_a · <b>DEPT-A</b></p>")) == [
        "category",
        "staff_a",
        "DEPT-A",
    ]
    assert _LEAK.findall(visible_text('<option value="DEPT-A">市人社局</option><script>x="admin"</script>')) == []
