"""Route permission rows for the reports API (/api/v1/reports). Unit staff see their own
unit's figures (asking for another unit's is a 404: tests/reports/test_api.py)."""

from ..reports.helpers import exemption, reasons, ticket_for_exemption, unused_reason
from .test_route_permissions import _ok_for

STAFF = ["staff_own", "staff_assist", "staff_other"]
READERS = ["supervisor", "admin", *STAFF]
HIDDEN = ("staff_assist", "staff_other")

RULES = {
    ("GET", "/api/v1/reports/figures"): {"expected": _ok_for(READERS)},
    ("GET", "/api/v1/reports/centre"): {"expected": _ok_for(["supervisor", "admin"])},
    ("GET", "/api/v1/reports/rankings"): {"expected": _ok_for(["supervisor", "admin"])},
    # Without ?figure= the readers get a 422 naming the field (tests/reports/test_api.py asks with one).
    ("GET", "/api/v1/reports/tickets"): {"expected": _ok_for(READERS, 422)},
    ("GET", "/api/v1/reports/definitions"): {"expected": _ok_for(READERS)},
    ("GET", "/api/v1/reports/exemptions"): {"expected": _ok_for(READERS)},
    ("POST", "/api/v1/reports/exemptions"): {
        "setup": ticket_for_exemption,
        "body": {"ticket": "20261121-000001", "reason": "force_majeure", "note": "台风停电"},
        "expected": _ok_for(["staff_own"], 201, hidden=HIDDEN),
    },
    ("GET", "/api/v1/reports/exemptions/<exemption_id>"): {
        "setup": exemption,
        "expected": _ok_for(["supervisor", "admin", "staff_own"], hidden=HIDDEN),
    },
    ("POST", "/api/v1/reports/exemptions/<exemption_id>/decide"): {
        "setup": exemption,
        "body": {"approve": True, "note": "情况属实"},
        "expected": _ok_for(["supervisor"], hidden=HIDDEN),
    },
    ("GET", "/api/v1/reports/exemption-reasons"): {"setup": reasons, "expected": _ok_for(READERS)},
    ("POST", "/api/v1/reports/exemption-reasons"): {
        "body": {"code": "other", "name": "其他经认定的情形"},
        "expected": _ok_for(["admin"], 201),
    },
    ("PATCH", "/api/v1/reports/exemption-reasons/<code>"): {
        "setup": reasons,
        "path": {"code": "force_majeure"},
        "body": {"name": "不可抗力（自然灾害等）"},
        "expected": _ok_for(["admin"]),
    },
    ("DELETE", "/api/v1/reports/exemption-reasons/<code>"): {
        "setup": unused_reason,
        "expected": _ok_for(["admin"], 204),
    },
    ("GET", "/api/v1/reports/score-schemes"): {"expected": _ok_for(READERS)},
    ("POST", "/api/v1/reports/score-schemes"): {
        "body": {"weight_on_time": 40, "weight_accepted": 0},
        "expected": _ok_for(["admin"], 201),
    },
}
