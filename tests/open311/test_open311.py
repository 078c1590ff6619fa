"""Open311 GeoReport v2 (hotline/citizens/open311): every endpoint and parameter in both
formats, checked against the specification's field lists; a round trip through the
services; bad input answered in the specification's error format with nothing stored;
nothing personal in any GET."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from hotline.citizens.open311 import keys
from hotline.citizens.open311.models import Open311Key, Open311Request
from hotline.core import clock
from hotline.extensions import db
from hotline.tickets import services as tickets
from hotline.tickets.models import Ticket

V2 = "/open311/v2"
JURISDICTION = "12345.example.gov.cn"
PHONE = "13912345678"

# The specification's fields (open311.org GeoReport v2), in its order.
SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
DEFINITION_FIELDS = ["service_code", "attributes"]
ATTRIBUTE_FIELDS = [
    "variable",
    "code",
    "datatype",
    "required",
    "datatype_description",
    "order",
    "description",
    "values",
]
REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]
POST_FIELDS = ["service_request_id", "service_notice", "account_id"]
DISCOVERY_FIELDS = ["changeset", "contact", "key_service", "max_requests", "endpoints"]
ENDPOINT_FIELDS = ["specification", "url", "changeset", "type", "formats"]


def _xml(r, root: str) -> ET.Element:
    assert r.headers["Content-Type"] == "text/xml; charset=utf-8", r.headers["Content-Type"]
    assert r.data.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    tree = ET.fromstring(r.data)
    assert tree.tag == root
    return tree


def _json(r):
    assert r.headers["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(r.data)


def _tags(element) -> list[str]:
    return [child.tag for child in element]


def _errors(r, status: int, fmt: str = "json") -> list[str]:
    """The specification's error list: HTTP ``status``; each error a code and a description."""
    assert r.status_code == status, r.data[:300]
    if fmt == "json":
        body = _json(r)
        assert isinstance(body, list) and body and all(set(e) == {"code", "description"} for e in body)
        assert all(e["code"] == status for e in body)
        return [e["description"] for e in body]
    tree = _xml(r, "errors")
    assert all(_tags(e) == ["code", "description"] and e.find("code").text == str(status) for e in tree)
    return [e.find("description").text for e in tree]


@pytest.fixture
def key(world):
    with world.app.app_context():
        _row, raw = keys.create_key("城市App", actor=None, now=clock.now())
        db.session.commit()
    return raw


def _form(key, **over):
    form = {
        "api_key": key,
        "jurisdiction_id": JURISDICTION,
        "service_code": "SOC.PEN",
        "lat": "23.0215",
        "long": "113.1214",
        "address_string": "东湖路1号",
        "email": "citizen@example.com",
        "first_name": "小明",
        "last_name": "王",
        "phone": PHONE,
        "description": "养老保险缴费记录查询不到，请帮助核实。",
        "media_url": "https://img.example.com/p/1.jpg",
        "attribute[request_type]": "help",
        "device_id": "dev-1",
        "account_id": "acc-1",
    }
    form.update(over)
    return {k: v for k, v in form.items() if v is not None}


def _counts(app):
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(Ticket)),
            db.session.scalar(select(func.count()).select_from(Open311Request)),
        )


def test_discovery_services_and_definitions_in_both_formats(world, app):
    client = app.test_client()
    tree = _xml(client.get(f"{V2}/discovery.xml"), "discovery")
    assert _tags(tree) == DISCOVERY_FIELDS and tree.find("max_requests").text == "1000"
    endpoint = tree.find("endpoints/endpoint")
    assert _tags(endpoint) == ENDPOINT_FIELDS and endpoint.find("url").text == "http://localhost/open311/v2"
    assert [f.text for f in endpoint.find("formats")] == ["text/xml", "application/json"]
    body = _json(client.get(f"{V2}/discovery.json"))
    assert list(body) == DISCOVERY_FIELDS and list(body["endpoints"][0]) == ENDPOINT_FIELDS

    tree = _xml(client.get(f"{V2}/services.xml?jurisdiction_id={JURISDICTION}"), "services")
    services = {s.find("service_code").text: s for s in tree}
    assert set(services) == {"SOC", "SOC.PEN", "MISC"} and all(_tags(s) == SERVICE_FIELDS for s in tree)
    pension = services["SOC.PEN"]
    assert pension.find("service_name").text == "养老保险" and pension.find("group").text == "社会保障"
    assert pension.find("keywords").text == "养老保险, 社会保障" and pension.find("type").text == "realtime"
    assert pension.find("metadata").text == "true"
    listed = _json(client.get(f"{V2}/services.json"))
    assert [s["service_code"] for s in listed] == [s.find("service_code").text for s in tree]
    assert all(list(s) == SERVICE_FIELDS for s in listed) and listed[0]["metadata"] is True

    tree = _xml(client.get(f"{V2}/services/SOC.PEN.xml"), "service_definition")
    assert _tags(tree) == DEFINITION_FIELDS and tree.find("service_code").text == "SOC.PEN"
    attribute = tree.find("attributes/attribute")
    assert _tags(attribute) == ATTRIBUTE_FIELDS and attribute.find("datatype").text == "singlevaluelist"
    assert [(v.find("key").text, v.find("name").text) for v in attribute.find("values")][:2] == [
        ("consultation", "咨询"),
        ("help", "求助"),
    ]
    definition = _json(client.get(f"{V2}/services/SOC.PEN.json"))
    assert definition["service_code"] == "SOC.PEN" and list(definition["attributes"][0]) == ATTRIBUTE_FIELDS
    assert definition["attributes"][0]["required"] is False
    assert set(definition["attributes"][0]["values"][0]) == {"key", "name"}

    for fmt in ("xml", "json"):  # an unknown service, another jurisdiction: 404 in the spec's format
        assert "service_code" in _errors(client.get(f"{V2}/services/NOPE.{fmt}"), 404, fmt)[0]
        r = client.get(f"{V2}/services.{fmt}?jurisdiction_id=other.gov")
        assert "jurisdiction_id" in _errors(r, 404, fmt)[0]
    _errors(client.get(f"{V2}/nothing.json"), 404)
    _errors(client.get(f"{V2}/services.html"), 404, "xml")
    _errors(client.delete(f"{V2}/services.json"), 405)


def test_post_then_dispatch_reply_and_get_back_in_both_formats(world, app, key):
    client = app.test_client()
    r = client.post(f"{V2}/requests.xml", data=_form(key))
    assert r.status_code == 201
    tree = _xml(r, "service_requests")
    answer = tree.find("request")
    assert _tags(answer) == POST_FIELDS
    number = answer.find("service_request_id").text
    assert number in answer.find("service_notice").text and answer.find("account_id").text is None

    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.number == number))
        assert (ticket.channel, ticket.status, ticket.request_type) == ("open311", "new", "help")
        assert (ticket.caller.phone, ticket.caller_name, ticket.address) == (PHONE, "王小明", "东湖路1号")
        assert ticket.created_by.username == "open311" and not ticket.created_by.is_active
        extra = db.session.get(Open311Request, ticket.id)
        assert (extra.lat, extra.long, extra.email, extra.media_url) == (
            23.0215,
            113.1214,
            "citizen@example.com",
            "https://img.example.com/p/1.jpg",
        )
        assert extra.attributes == {"request_type": "help"}
        used = db.session.scalar(select(Open311Key).where(Open311Key.name == "城市App"))
        assert used.request_count == 1 and used.last_used_at is not None

    body = _json(client.get(f"{V2}/requests/{number}.json"))
    assert len(body) == 1 and list(body[0]) == REQUEST_FIELDS
    first = body[0]
    assert (first["status"], first["agency_responsible"], first["expected_datetime"]) == ("open", None, None)
    assert first["status_notes"] == "已受理" and (first["lat"], first["long"]) == (23.0215, 113.1214)
    assert first["media_url"] == "https://img.example.com/p/1.jpg" and first["address"] == "东湖路1号"

    # Inside: in the operators' queue of tickets no operator typed in (every operator's).
    operator = app.test_client()
    assert operator.post("/login", data={"username": "operator2", "password": "password-123"}).status_code == 302
    queue = operator.get("/queues/online").get_data(as_text=True)
    assert f"/tickets/{number}#action-submit" in queue and "送达于" in queue
    assert operator.get("/ui/queues/counts").get_json()["counts"]["online"] == 1
    page = operator.get(f"/tickets/{number}")
    assert page.status_code == 200 and "Open311接口" in page.get_data(as_text=True)
    # Triaged by an operator, dispatched, accepted and replied to by the unit.
    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.number == number))
        now = clock.now()
        tickets.submit(ticket, actor=world.user("operator"), now=now + timedelta(minutes=1))
        tickets.dispatch(ticket, actor=world.user("dispatcher"), now=now + timedelta(minutes=2), lead_unit="DEPT-A")
        due = clock.isoformat(ticket.reply_due_at)
        db.session.commit()
    middle = _json(client.get(f"{V2}/requests/{number}.json"))[0]
    assert (middle["status"], middle["status_notes"]) == ("open", "承办单位办理中")
    assert middle["agency_responsible"] == "市人力资源和社会保障局" and middle["expected_datetime"] == due
    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.number == number))
        staff = world.user("staff_a")
        tickets.accept(ticket, actor=staff, now=now + timedelta(minutes=3))
        tickets.reply(ticket, actor=staff, now=now + timedelta(minutes=4), content="已核实补录，请联系 13800001111。")
        tickets.callback(
            ticket,
            actor=world.user("operator"),
            now=now + timedelta(minutes=5),
            satisfaction="satisfied",
            resolved=True,
        )
        closed_at = clock.isoformat(ticket.closed_at)
        db.session.commit()
    tree = _xml(client.get(f"{V2}/requests/{number}.xml?jurisdiction_id={JURISDICTION}"), "service_requests")
    request = tree.find("request")
    assert _tags(request) == REQUEST_FIELDS
    assert request.find("status").text == "closed" and request.find("updated_datetime").text == closed_at
    assert request.find("status_notes").text == "已办结。答复：已核实补录，请联系 138****1111。"
    assert request.find("agency_responsible").text == "市人力资源和社会保障局"
    text = client.get(f"{V2}/requests.json").get_data(as_text=True)
    assert number in text and "13800001111" not in text


def test_get_requests_filters(world, app):
    client = app.test_client()
    new = world.ticket("new", category="MISC")
    accepted = world.ticket("accepted")
    closed = world.ticket("closed")
    merged = world.ticket("merged", category="MISC")

    def numbers(query, fmt="json"):
        r = client.get(f"{V2}/requests.{fmt}?{query}")
        if fmt == "xml":
            return {e.find("service_request_id").text for e in _xml(r, "service_requests")}
        return {e["service_request_id"] for e in _json(r)}

    everything = {new, accepted, closed, merged}
    assert everything <= numbers("") and everything <= numbers("", "xml")
    assert numbers("status=open") >= {new, accepted} and not numbers("status=open") & {closed, merged}
    assert numbers("status=closed", "xml") >= {closed, merged} and not numbers("status=closed") & {new, accepted}
    assert everything <= numbers("status=open,closed")
    assert numbers("service_code=MISC") == numbers("service_code=MISC", "xml") and new in numbers("service_code=MISC")
    assert accepted not in numbers("service_code=MISC") and accepted in numbers("service_code=MISC,SOC.PEN")
    assert numbers(f"service_request_id={new},{closed}&status=open") == {new, closed}  # overrides the others
    assert numbers(f"service_request_id={new}&service_request_id={accepted}", "xml") == {new, accepted}
    with app.app_context():
        today = clock.now()
    start = (today - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (today + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S+08:00")
    assert everything <= numbers(f"start_date={start}&end_date={end}")
    assert everything <= numbers(f"start_date={start}")  # 90 days from it
    past = (today - timedelta(days=100)).strftime("%Y-%m-%d")
    assert numbers(f"end_date={past}") == set()  # the 90 days up to it
    assert numbers(f"start_date={past}T00:00:00Z&end_date={(today - timedelta(days=11)).date()}") == set()
    one = _json(client.get(f"{V2}/requests.json?service_request_id={merged}"))[0]
    assert one["status"] == "closed" and one["status_notes"].startswith("已与同一事项的工单合并办理（并入工单 ")

    for query, word in [
        (f"start_date={past}T00:00:00Z&end_date={today.date()}", "90 days"),  # 100 days
        (f"start_date={(today - timedelta(days=91)).date()}&end_date={today.date()}", "90 days"),
        (f"start_date={today.date()}&end_date={past}", "before"),
        ("start_date=yesterday", "start_date"),
        ("end_date=2026-13-01", "end_date"),
        ("status=pending", "status"),
        ("service_request_id=" + ",".join(str(i) for i in range(101)), "service_request_id"),
        ("jurisdiction_id=elsewhere.gov", "jurisdiction_id"),
        ("service_code=SOC%00", "service_code"),
        ("service_request_id=2026%00", "service_request_id"),
        ("status=open%00", "status"),
    ]:
        for fmt in ("json", "xml"):
            status = 404 if word == "jurisdiction_id" else 400
            assert word in _errors(client.get(f"{V2}/requests.{fmt}?{query}"), status, fmt)[0], query
    for fmt in ("json", "xml"):
        assert "not found" in _errors(client.get(f"{V2}/requests/20991231-000001.{fmt}"), 404, fmt)[0]


BAD = [
    ({"service_code": "NOPE"}, 404, "service_code"),
    ({"service_code": None}, 400, "service_code"),
    ({"lat": None, "long": None, "address_string": None}, 400, "location"),
    ({"long": None}, 400, "together"),
    ({"lat": "91", "address_string": None}, 400, "lat"),
    ({"long": "east"}, 400, "long"),
    ({"description": "长" * 4001}, 400, "4000"),
    ({"description": "  "}, 400, "description"),
    ({"description": "bad\x00text"}, 400, "description"),
    ({"phone": None}, 400, "phone"),
    ({"phone": "12345"}, 400, "phone"),
    ({"email": "not-an-address"}, 400, "email"),
    ({"media_url": "javascript:alert(1)"}, 400, "media_url"),
    ({"attribute[request_type]": "rumour"}, 400, "request_type"),
    ({"attribute[colour]": "red"}, 400, "colour"),
    ({"surprise": "x"}, 400, "surprise"),
    ({"jurisdiction_id": "other.gov"}, 404, "jurisdiction_id"),
    ({"api_key": "wrong"}, 403, "api_key"),
    ({"api_key": None}, 403, "api_key"),
]


def test_bad_posts_are_spec_errors_and_store_nothing(world, app, key):
    client = app.test_client()
    before = _counts(app)
    for index, (change, status, word) in enumerate(BAD):
        fmt = "json" if index % 2 else "xml"
        r = client.post(f"{V2}/requests.{fmt}", data=_form(key, **change))
        assert word in " ".join(_errors(r, status, fmt)), (change, r.data)
    assert _counts(app) == before
    with app.app_context():
        keys.revoke_key("城市App", actor=None, now=clock.now())
        db.session.commit()
    assert "api_key" in _errors(client.post(f"{V2}/requests.json", data=_form(key)), 403)[0]
    assert _counts(app) == before
    r = client.post(f"{V2}/requests.json", data=b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1))
    _errors(r, 413)


def test_no_get_shows_personal_data(world, app, key):
    client = app.test_client()
    phone_ticket = world.ticket("replied", phone="15012345678", content="我叫李四，电话 15012345678，路灯坏了")
    r = client.post(f"{V2}/requests.json", data=_form(key, description="井盖缺失，联系 13912345678"))
    number = _json(r)[0]["service_request_id"]
    leaks = ["15012345678", PHONE, "张三", "王小明", "小明", "citizen@example.com", "dev-1", "acc-1", "caller"]
    paths = [
        "discovery",
        "services",
        "services/SOC.PEN",
        "requests",
        f"requests/{number}",
        f"requests/{phone_ticket}",
        f"requests?service_request_id={number},{phone_ticket}",
    ]
    for path in paths:
        for fmt in ("xml", "json"):
            base, _, query = path.partition("?")
            r = client.get(f"{V2}/{base}.{fmt}" + (f"?{query}" if query else ""))
            assert r.status_code == 200, path
            text = r.get_data(as_text=True)
            assert not [leak for leak in leaks if leak in text], (path, fmt)
    assert "150****5678" in client.get(f"{V2}/requests/{phone_ticket}.json").get_data(as_text=True)


def test_limits_per_client_address_and_per_key(world, make_app, key):
    app = make_app()
    client = app.test_client()
    statuses = [
        client.get(f"{V2}/services.json", environ_base={"REMOTE_ADDR": "10.3.3.3"}).status_code for _ in range(121)
    ]
    assert statuses[:120] == [200] * 120 and statuses[120] == 429
    r = client.get(f"{V2}/discovery.xml", environ_base={"REMOTE_ADDR": "10.3.3.3"})
    assert _errors(r, 429, "xml") and int(r.headers["Retry-After"]) > 0
    assert client.get(f"{V2}/services.json", environ_base={"REMOTE_ADDR": "10.4.4.4"}).status_code == 200
    with app.app_context():
        row = db.session.scalar(select(Open311Key).where(Open311Key.name == "城市App"))
    from hotline.citizens.open311 import views

    posts = [
        client.post(
            f"{V2}/requests.json", data=_form(key, description=f"第{i}件"), environ_base={"REMOTE_ADDR": f"10.5.{i}.1"}
        )
        for i in range(views.LIMITS_PER_KEY[0].count + 1)
    ]
    assert [p.status_code for p in posts[:-1]] == [201] * views.LIMITS_PER_KEY[0].count
    _errors(posts[-1], 429)
    assert row.id and _counts(app)[1] == views.LIMITS_PER_KEY[0].count


def test_cli_creates_lists_and_revokes_keys(world, app):
    runner = app.test_cli_runner()
    created = runner.invoke(args=["open311", "keys", "create", "civic-tool"])
    assert created.exit_code == 0, created.output
    raw = created.output.strip()
    assert len(raw) >= 40
    with app.app_context():
        row = db.session.scalar(select(Open311Key).where(Open311Key.name == "civic-tool"))
        assert row.key_hash != raw and len(row.key_hash) == 64 and keys.authenticate(raw).id == row.id
    assert runner.invoke(args=["open311", "keys", "create", "civic-tool"]).exit_code != 0  # one key per name
    assert "civic-tool" in runner.invoke(args=["open311", "keys", "list"]).output
    assert runner.invoke(args=["open311", "keys", "revoke", "civic-tool"]).exit_code == 0
    with app.app_context():
        assert keys.authenticate(raw) is None
    assert runner.invoke(args=["open311", "keys", "revoke", "civic-tool"]).exit_code != 0
    assert runner.invoke(args=["open311", "keys", "revoke", "nobody"]).exit_code != 0


def test_admin_page_issues_a_key_once_and_revokes_it(world, app):
    from hotline.audit.models import AuditEvent

    client = app.test_client()
    assert client.post("/login", data={"username": "admin", "password": "password-123"}).status_code == 302
    r = client.post("/admin/open311/keys", data={"name": "市民通App"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "密钥只显示这一次" in html
    raw = html.split('<code class="secret">')[1].split("</code>")[0]
    with app.app_context():
        key = keys.authenticate(raw)
        assert key is not None and key.name == "市民通App" and raw not in key.key_hash
        actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "open311_key")).all()
        assert actions == ["open311_key_create"]
    listing = client.get("/admin/open311").get_data(as_text=True)
    assert "市民通App" in listing and raw not in listing and "有效" in listing
    r = client.post("/admin/open311/keys", data={"name": "市民通App"})
    assert r.status_code == 409 and "客户端名称：该名称已有密钥" in r.get_data(as_text=True)
    r = client.post("/admin/open311/keys", data={"name": "<script>"})
    assert r.status_code == 422 and "客户端名称：" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Open311Key)) == 1
    r = client.post(f"/admin/open311/keys/{key.id}/revoke")
    assert r.status_code == 303 and "已吊销" in client.get("/admin/open311").get_data(as_text=True)
    with app.app_context():
        assert keys.authenticate(raw) is None
    assert client.post("/admin/open311/keys/999/revoke").status_code == 404
