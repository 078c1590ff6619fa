"""Open311 GeoReport v2 (/open311/v2/...): public GETs answer every role alike (no sign-in
is ever read); POST requests without an api_key is a 403 for everyone, signed in or not."""

ROLES = [
    "anonymous",
    "operator",
    "dispatcher",
    "supervisor",
    "kb_editor",
    "admin",
    "staff_own",
    "staff_assist",
    "staff_other",
]
EVERYONE = {r: 200 for r in ROLES}

PAGES = {
    ("GET", "/open311/v2/discovery.<any(xml, json):fmt>"): {"path": {"fmt": "json"}, "expected": EVERYONE},
    ("GET", "/open311/v2/services.<any(xml, json):fmt>"): {"path": {"fmt": "xml"}, "expected": EVERYONE},
    ("GET", "/open311/v2/services/<service_code>.<any(xml, json):fmt>"): {
        "path": {"service_code": "SOC.PEN", "fmt": "json"},
        "expected": EVERYONE,
    },
    ("GET", "/open311/v2/requests.<any(xml, json):fmt>"): {"path": {"fmt": "xml"}, "expected": EVERYONE},
    ("GET", "/open311/v2/requests/<service_request_id>.<any(xml, json):fmt>"): {
        "path": {"fmt": "json"},
        "setup": lambda world: {"service_request_id": world.ticket("dispatched")},
        "expected": EVERYONE,
    },
    ("POST", "/open311/v2/requests.<any(xml, json):fmt>"): {
        "path": {"fmt": "json"},
        "form": {"service_code": "SOC.PEN", "address_string": "东湖路1号", "description": "井盖缺失"},
        "expected": {r: 403 for r in ROLES},
    },
}


def _key(world):
    from hotline.citizens.open311 import keys
    from hotline.core import clock
    from hotline.extensions import db

    with world.app.app_context():
        key, _raw = keys.create_key("市民通App", actor=None, now=clock.now())
        db.session.commit()
        return {"key_id": key.id}


def _admin_only(ok):
    from .test_page_permissions import ok_for

    return ok_for(["admin"], ok)


# The admin page of the clients' keys (/admin/open311): admins only.
PAGES.update(
    {
        ("GET", "/admin/open311"): {"expected": _admin_only(200)},
        ("POST", "/admin/open311/keys"): {"form": {"name": "公益地图"}, "expected": _admin_only(200)},
        ("POST", "/admin/open311/keys/<int:key_id>/revoke"): {"setup": _key, "expected": _admin_only(303)},
    }
)
