"""Who the client is: its address, as the sign-in throttle and the audit trail see it.

Behind a reverse proxy every request comes from the proxy's address: set
``HOTLINE_TRUSTED_PROXIES`` to the number of proxies in front of the app, and the client's
address is read from ``X-Forwarded-For`` (werkzeug's ProxyFix, trusting exactly that many
hops; a client cannot forge its way past them). Unset (0), the socket's address is used and
X-Forwarded-For is ignored.
"""

from __future__ import annotations

from flask import Flask, request


def install(app: Flask) -> None:
    hops = int(app.config.get("TRUSTED_PROXIES") or 0)
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0, x_port=0, x_prefix=0)


def client_address() -> str:
    return request.remote_addr or "unknown"
