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
