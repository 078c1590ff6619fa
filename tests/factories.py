"""Factories: a small world of units, categories and users, and tickets in any state."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import timedelta

from werkzeug.security import generate_password_hash

from hotline.accounts import services as accounts
from hotline.accounts.models import User
from hotline.categories import services as categories
from hotline.core import clock
from hotline.extensions import db
from hotline.tickets import services as tickets
from hotline.tickets.models import Ticket
from hotline.units import services as units

PASSWORD = "password-123"
# A cheap hash: the suite creates hundreds of users; production hashing is scrypt.
_PASSWORD_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")

UNITS = [
    # code, name, level, parent
    ("CITY", "示范市人民政府", "city", None),
    ("DEPT-A", "市人力资源和社会保障局", "city", "CITY"),
    ("DEPT-B", "市市场监督管理局", "city", "CITY"),
    ("DEPT-C", "市城市管理局", "city", "CITY"),
    ("D1", "东城区", "district", "CITY"),
    ("D1-T1", "东城区东湖街道", "town", "D1"),
    ("D2", "西城区", "district", "CITY"),
]

# name → (role, unit)
USERS = {
    "operator": ("operator", None),
    "operator2": ("operator", None),
    "dispatcher": ("dispatcher", None),
    "supervisor": ("supervisor", None),
    "kb_editor": ("kb_editor", None),
    "admin": ("admin", None),
    "staff_a": ("unit_staff", "DEPT-A"),
    "staff_a2": ("unit_staff", "DEPT-A"),
    "staff_b": ("unit_staff", "DEPT-B"),
    "staff_c": ("unit_staff", "DEPT-C"),
}

PHONES = itertools.cycle(["13800138000", "13912345678", "15012345678", "18612345678"])


class ApiClient:
    """A test client that sends a user's bearer token."""

    def __init__(self, client, token: str | None):
        self.client = client
        self.token = token

    def _headers(self, headers):
        merged = dict(headers or {})
        if self.token:
            merged.setdefault("Authorization", f"Bearer {self.token}")
        return merged

    def get(self, path, headers=None, **kw):
        return self.client.get(path, headers=self._headers(headers), **kw)

    def post(self, path, json=None, headers=None, **kw):
        return self.client.post(path, json=json, headers=self._headers(headers), **kw)

    def patch(self, path, json=None, headers=None, **kw):
        return self.client.patch(path, json=json, headers=self._headers(headers), **kw)

    def delete(self, path, headers=None, **kw):
        return self.client.delete(path, headers=self._headers(headers), **kw)

    def open(self, method, path, **kw):
        kw["headers"] = self._headers(kw.get("headers"))
        return self.client.open(path, method=method, **kw)


@dataclass
class World:
    app: object
    user_ids: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, app) -> World:
        world = cls(app)
        now = clock.now()
        for code, name, level, parent in UNITS:
            units.create_unit(actor=None, now=now, code=code, name=name, level=level, parent_code=parent)
        categories.create_category(actor=None, now=now, code="SOC", name="社会保障")
        categories.create_category(
            actor=None, now=now, code="SOC.PEN", name="养老保险", parent_code="SOC", default_lead_unit="DEPT-A"
        )
        categories.create_category(actor=None, now=now, code="MISC", name="其他")
        for name, (role, unit) in USERS.items():
            world.add_user(name, role, unit, now=now)
        db.session.commit()
        return world

    def add_user(self, name, role, unit=None, *, now=None) -> int:
        from hotline.units import queries as unit_queries

        now = now or clock.now()
        user = User(
            username=name,
            display_name=name,
            password_hash=_PASSWORD_HASH,
            role=role,
            unit=unit_queries.get_by_code(unit) if unit else None,
            is_active=True,
            session_version=1,
            failed_login_count=0,
            created_at=now,
            updated_at=now,
        )
        db.session.add(user)
        db.session.flush()
        token, _ = accounts.issue_token(user, now=now, ttl_hours=24 * 365)
        self.user_ids[name] = user.id
        self.tokens[name] = token
        return user.id

    # --- access ---

    def user(self, name) -> User:
        return db.session.get(User, self.user_ids[name])

    def client(self, name: str | None = None) -> ApiClient:
        return ApiClient(self.app.test_client(), self.tokens.get(name) if name else None)

    # --- tickets in any state, through the real services ---

    def ticket(
        self,
        state: str = "new",
        *,
        lead: str = "DEPT-A",
        assists=(),
        content: str = "路灯不亮，请尽快维修。",
        request_type: str = "complaint",
        category: str = "SOC.PEN",
        phone: str | None = None,
    ) -> str:
        """Create a ticket and drive it to ``state``; returns its number (commits)."""
        with self.app.app_context():
            number = self._drive(
                state,
                lead=lead,
                assists=assists,
                content=content,
                request_type=request_type,
                category=category,
                phone=phone,
            )
            db.session.commit()
            return number

    def _drive(self, state, *, lead, assists, content, request_type, category, phone):
        now = clock.now()
        step = itertools.count(1)

        def t():
            return now + timedelta(minutes=next(step))

        op, disp = self.user("operator"), self.user("dispatcher")
        ticket, _ = tickets.create(
            actor=op,
            now=now,
            data=tickets.NewTicket(
                caller_phone=phone or next(PHONES),
                caller_name="张三",
                request_type=request_type,
                category=category,
                content=content,
                area="D1-T1",
                address="东湖路1号",
            ),
        )
        if state == "new":
            return ticket.number
        if state == "closed_answered":
            tickets.answer(ticket, actor=op, now=t(), answer_text="已答复")
            return ticket.number
        tickets.submit(ticket, actor=op, now=t())
        if state == "pending_dispatch":
            return ticket.number
        if state == "merged":
            other = Ticket.query.filter(Ticket.id != ticket.id, Ticket.status != "merged").first()
            if other is None:
                other, _ = tickets.create(
                    actor=op,
                    now=t(),
                    data=tickets.NewTicket(
                        caller_phone=next(PHONES), request_type="consultation", category=category, content="另一件"
                    ),
                )
            tickets.merge(ticket, actor=disp, now=t(), into=other.number)
            return ticket.number
        tickets.dispatch(ticket, actor=disp, now=t(), lead_unit=lead, assist_units=list(assists))
        if state == "dispatched":
            return ticket.number
        staff = self._staff_of(lead)
        if state == "returned":
            tickets.return_ticket(ticket, actor=staff, now=t(), reason="非本单位职责")
            return ticket.number
        tickets.accept(ticket, actor=staff, now=t())
        if state == "accepted":
            return ticket.number
        if state == "extension_pending":
            tickets.request_extension(ticket, actor=staff, now=t(), hours=24, reason="需现场核查")
            return ticket.number
        tickets.reply(ticket, actor=staff, now=t(), content="已处理完毕")
        if state == "replied":
            return ticket.number
        if state == "reopened":
            tickets.callback(ticket, actor=op, now=t(), satisfaction="dissatisfied", resolved=False)
            return ticket.number
        if state == "closed":
            tickets.callback(ticket, actor=op, now=t(), satisfaction="satisfied", resolved=True)
            return ticket.number
        raise ValueError(f"unknown state {state!r}")

    def _staff_of(self, unit_code):
        for name, (role, unit) in USERS.items():
            if unit == unit_code:
                return self.user(name)
        raise ValueError(f"no staff for {unit_code}")

    # --- knowledge-base articles, through the real services ---

    def article(
        self,
        status: str = "published",
        *,
        title: str = "社保卡丢失怎么补办",
        body: str = "社保卡丢失后，可以到任一社保卡服务银行网点挂失并补办，也可以在小程序申请。",
        category: str | None = None,
        owner_unit: str | None = None,
        author: str = "admin",
        external_id: str | None = None,
    ) -> int:
        """Create an article by ``author`` and drive it to ``status``; returns its id (commits)."""
        from knowledge_base import services as kb

        with self.app.app_context():
            now = clock.now()
            writer = self.user(author)
            article = kb.create_article(
                actor=writer,
                now=now,
                title=title,
                body=body,
                category=category,
                owner_unit=owner_unit,
                external_id=external_id,
            )
            if status != "draft":
                kb.submit(article, actor=writer, now=now)
            if status in ("published", "retired"):
                kb.publish(article, actor=self.user("admin"), now=now)
            if status == "retired":
                kb.retire(article, actor=writer, now=now)
            db.session.commit()
            return article.id

    def get(self, number) -> Ticket:
        return db.session.scalar(db.select(Ticket).where(Ticket.number == number))
