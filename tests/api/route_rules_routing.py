"""Route permission rows for the dispatch suggestions (/api/v1/dispatch)."""

from .test_route_permissions import TICKET_ROLES, _action, _ok_for

RULES = {
    ("POST", "/api/v1/dispatch/suggest"): {
        "body": {"content": "小区路灯不亮", "area": "D1"},
        "expected": _ok_for(["operator", "dispatcher", "supervisor"]),
    },
}

RULES[("GET", "/api/v1/tickets/<number>/similar")] = {
    "state": "dispatched",
    "expected": _ok_for(TICKET_ROLES, hidden=("staff_other",)),
}

# The reply check: the lead unit's staff and supervisors; another unit's ticket is 404.
RULES[("POST", "/api/v1/tickets/<number>/reply-check")] = {
    "state": "accepted",
    "body": {"content": "您好，经现场核查，路灯已修复。如有疑问请致电本单位。"},
    "expected": _ok_for(["staff_own", "supervisor"], hidden=("staff_other",)),
}

# The group dispatch of duplicates: dispatchers only ("SIMILAR": a ticket like the route's, also pending).
RULES[("POST", "/api/v1/tickets/<number>/dispatch-group")] = _action(
    ["dispatcher"], "pending_dispatch", {"members": ["SIMILAR"], "lead_unit": "DEPT-A", "assist_units": ["DEPT-C"]}
)
