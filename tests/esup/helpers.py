"""Helpers for the notifications and e-supervision tests."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sqlalchemy import select

from hotline.core import clock, signals
from hotline.extensions import db
from hotline.sla.models import Deadline
from hotline.supervision import services as supervision
from hotline.supervision.models import SupervisionCase
from hotline.tickets.models import Ticket


def deadline_of(ticket) -> Deadline:
    """The ticket's reply deadline row (the deadline watch opened it at dispatch)."""
    return db.session.scalar(
        select(Deadline)
        .where(Deadline.ticket_id == ticket.id, Deadline.kind == "reply")
        .order_by(Deadline.sequence.desc())
        .limit(1)
    )


def fire(app, number: str, kind: str, *, unit: str = "DEPT-A"):
    """Send deadline_reached for the ticket's reply deadline, as the sweep does: in a
    transaction, then commit. (The sweep itself sends it once; the tests here send it
    directly to check the receivers, including against repeats.)"""
    from hotline.units import queries as unit_queries

    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.number == number))
        unit_id = unit_queries.get_by_code(unit).id
        signals.deadline_reached.send(deadline_of(ticket), ticket=ticket, kind=kind, unit_id=unit_id, now=clock.now())
        db.session.commit()


def case_of(app, number: str) -> int | None:
    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.number == number))
        case = supervision.open_case_for(ticket)
        return case.id if case else None


def open_case_id(world, number: str) -> int:
    with world.app.app_context():
        ticket = world.get(number)
        case = supervision.open_case_for(ticket)
        if case is None:
            case = supervision.open_case(ticket, actor=world.user("supervisor"), now=clock.now(), reason="立案核查")
        case_id = case.id
        db.session.commit()
        return case_id


def issue_notice(world, case_id: int, *, unit: str | None = None, hours: int = 48) -> int:
    from datetime import timedelta

    with world.app.app_context():
        case = db.session.get(SupervisionCase, case_id)
        now = clock.now()
        notice = supervision.issue_notice(
            case,
            actor=world.user("supervisor"),
            now=now,
            content="请整改",
            due_at=now + timedelta(hours=hours),
            unit_code=unit,
        )
        notice_id = notice.id
        db.session.commit()
        return notice_id


class Receiver:
    """A real HTTP server in a thread: records what it is sent and answers as told.

    ``script`` is a list of answers for the first requests (then 200): a status code,
    a (status, body) pair, or "accept-then-500" (keep the message, lose the answer). When
    ``secret`` is given it checks the signature (401 if wrong) and de-duplicates by
    Idempotency-Key: ``accepted`` holds each key once, ``requests`` every request.
    """

    def __init__(self, *, secret: str | None = None, script=(), check=None):
        self.secret = secret
        self.script = list(script)
        self.requests: list[dict] = []
        self.accepted: dict[str, bytes] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                status = receiver.handle(dict(self.headers), body)
                if isinstance(status, tuple):
                    status, answer = status
                else:
                    answer = b'{"ok": %s}' % (b"true" if status < 300 else b"false")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def handle(self, headers: dict, body: bytes):
        from hotline.supervision.connector import SIGNATURE_HEADER, verify

        with self.lock:
            self.requests.append({"headers": headers, "body": body})
            if self.secret is not None and not verify(body, self.secret, headers.get(SIGNATURE_HEADER)):
                return 401
            if self.script:
                status = self.script.pop(0)
                if status == "accept-then-500":  # stored, but the answer is lost
                    self.accepted.setdefault(headers["Idempotency-Key"], body)
                    return 500
                return status
            key = headers.get("Idempotency-Key")
            if key is not None:
                self.accepted.setdefault(key, body)
            return 200

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
