"""A bare intake, for bench/intake.py only: what the stack itself costs, without the product.

A Flask app with one view that parses the JSON body and runs the six statements the
product's intake runs (token and user, category, caller upsert, the day's number, ticket,
event) through raw psycopg on a connection per thread, in one transaction, and answers a
small JSON body. No validation beyond the token check, no phone normalisation, no
idempotency, no ORM, no audit detail, no signals, no security headers: it is not a way to
record a ticket, only the floor under any intake written with Flask and psycopg on this
machine. bench/intake.py serves it under the same gunicorn settings as the product and
measures it in the same rounds.

    HOTLINE_BARE_DSN=postgresql://... gunicorn --chdir bench/bare app:app
"""

from __future__ import annotations

import hashlib
import os
import threading
from datetime import UTC, datetime

import psycopg
from flask import Flask, jsonify, request
from psycopg.types.json import Jsonb

app = Flask(__name__)
_local = threading.local()


def _connection() -> psycopg.Connection:
    conn = getattr(_local, "conn", None)
    if conn is None or conn.closed:
        conn = _local.conn = psycopg.connect(os.environ["HOTLINE_BARE_DSN"])
    return conn


@app.get("/livez")
def livez():
    return {"status": "ok"}


@app.post("/api/v1/tickets")
def create_ticket():
    body = request.get_json()
    token = request.headers.get("Authorization", "").partition(" ")[2]
    token_hash = hashlib.sha256(token.encode()).hexdigest()
    now = datetime.now(UTC)
    conn = _connection()
    with conn.transaction():
        cur = conn.cursor()
        user = cur.execute(
            "SELECT u.id, u.role, u.unit_id FROM api_tokens t JOIN users u ON u.id = t.user_id"
            " WHERE t.token_hash = %s AND t.revoked_at IS NULL AND t.expires_at > %s AND u.is_active",
            (token_hash, now),
        ).fetchone()
        if user is None:
            return {"code": "invalid_token"}, 401
        category = cur.execute(
            "SELECT c.id, c.code, c.name, p.name FROM categories c LEFT JOIN categories p ON p.id = c.parent_id"
            " WHERE c.code = %s AND c.is_active",
            (body["category"],),
        ).fetchone()
        if category is None:
            return {"code": "invalid", "field": "category"}, 400
        caller = cur.execute(
            "INSERT INTO callers (phone, created_at, updated_at) VALUES (%s, %s, %s)"
            " ON CONFLICT (phone) DO UPDATE SET updated_at = EXCLUDED.updated_at RETURNING id",
            (body["caller_phone"], now, now),
        ).fetchone()
        day = now.strftime("%Y%m%d")  # the product numbers by the local day; the cost is the same
        (serial,) = cur.execute(
            "INSERT INTO ticket_number_counters (day, last_value) VALUES (%s, 1) ON CONFLICT (day)"
            " DO UPDATE SET last_value = ticket_number_counters.last_value + 1 RETURNING last_value",
            (day,),
        ).fetchone()
        number = f"{day}-{serial:06d}"
        (ticket_id,) = cur.execute(
            "INSERT INTO tickets (number, version, status, channel, request_type, category_id, content, urgency,"
            " caller_id, created_by_id, reopen_count, created_at, updated_at)"
            " VALUES (%s, 1, 'new', %s, %s, %s, %s, 'normal', %s, %s, 0, %s, %s) RETURNING id",
            (number, body["channel"], body["request_type"], category[0], body["content"], caller[0], user[0], now, now),
        ).fetchone()
        data = {"request_type": body["request_type"], "category": category[1], "channel": body["channel"]}
        (event_id,) = cur.execute(
            "INSERT INTO ticket_events (ticket_id, action, to_status, actor_id, actor_role, actor_unit_id, at, data)"
            " VALUES (%s, 'create', 'new', %s, %s, %s, %s, %s) RETURNING id",
            (ticket_id, user[0], user[1], user[2], now, Jsonb(data)),
        ).fetchone()
    answer = {
        "number": number,
        "status": "new",
        "category": category[1],
        "category_name": f"{category[3]} / {category[2]}",
        "caller_phone": body["caller_phone"],
        "content": body["content"],
        "created_at": now.isoformat(),
        "events": [{"id": event_id, "action": "create", "to_status": "new", "data": data}],
    }
    return jsonify(answer), 201
