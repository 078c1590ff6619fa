"""Fixtures for the notifications and e-supervision tests."""

import socket

import pytest

from .helpers import Receiver


@pytest.fixture(autouse=True)
def _no_proxy_for_local_servers(monkeypatch):
    # urllib honours *_proxy variables; the test servers are on this machine.
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture
def gateway():
    """A local SMS gateway (a real HTTP server in a thread)."""
    with Receiver() as server:
        yield server


@pytest.fixture
def esup_secret():
    return "test-shared-secret"


@pytest.fixture
def esup(esup_secret):
    """A local e-supervision system: checks signatures, de-duplicates by Idempotency-Key."""
    with Receiver(secret=esup_secret) as server:
        yield server


@pytest.fixture
def smtp_server():
    """A local SMTP server (aiosmtpd) that keeps every message it is given."""
    from aiosmtpd.controller import Controller

    class Handler:
        def __init__(self):
            self.messages = []
            self.refuse = set()

        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if address in self.refuse:
                return "550 5.1.1 mailbox unavailable: " + address
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):
            self.messages.append(
                {
                    "from": envelope.mail_from,
                    "to": list(envelope.rcpt_tos),
                    "data": envelope.content,
                    "login": session.authenticated,
                }
            )
            return "250 Message accepted"

    def authenticator(server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult

        ok = auth_data.login == b"hotline" and auth_data.password == b"mail-secret"
        return AuthResult(success=ok)

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = Handler()
    controller = Controller(
        handler, hostname="127.0.0.1", port=port, authenticator=authenticator, auth_require_tls=False
    )
    controller.start()
    handler.port = port
    yield handler
    controller.stop()


@pytest.fixture
def redis_world(make_app, redis_url):
    """The world on an app with real Redis: jobs go to rq queues, not inline."""
    from ..factories import World

    app = make_app(REDIS_URL=redis_url)
    with app.app_context():
        return World.build(app)


@pytest.fixture
def run_worker():
    """Run an rq SimpleWorker on ``queues`` until they are empty (burst)."""
    from workers.queues import make_worker

    def run(app, queues, *, with_scheduler=False):
        worker = make_worker(app, queues, simple=True)
        worker.work(burst=True, with_scheduler=with_scheduler)
        return worker

    return run
