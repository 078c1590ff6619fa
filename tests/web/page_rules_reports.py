"""Page rules for the reports pages (see test_page_permissions.py). A unit's staff are sent
from /reports to their own unit's page; another unit's page is a 404."""

from ..reports.helpers import exemption, ticket_for_exemption
from .test_page_permissions import ok_for

STAFF = ["staff_own", "staff_assist", "staff_other"]
READERS = ["supervisor", "admin", *STAFF]
HIDDEN = ("staff_assist", "staff_other")

PAGES = {
    ("GET", "/reports"): {"expected": ok_for(["supervisor", "admin"]) | {r: 302 for r in STAFF}},
    ("GET", "/reports/units/<code>"): {
        "path": {"code": "DEPT-A"},
        "expected": ok_for(["supervisor", "admin", "staff_own"], hidden=HIDDEN),
    },
    # Without ?figure= the page says what is missing (422); tests/reports/test_pages.py asks with one.
    ("GET", "/reports/tickets"): {"expected": ok_for(READERS, 422)},
    ("GET", "/reports/exemptions"): {"expected": ok_for(READERS)},
    ("POST", "/reports/exemptions"): {
        "setup": ticket_for_exemption,
        "form": {"ticket": "20261121-000001", "reason": "force_majeure", "note": "台风停电"},
        "expected": ok_for(["staff_own"], 303, hidden=HIDDEN),
    },
    ("GET", "/reports/scheme"): {"expected": ok_for(["supervisor", "admin"])},
    ("POST", "/reports/scheme"): {
        "form": {"weight_on_time": "40", "weight_accepted": "0", "note": "加重按期办结"},
        "expected": ok_for(["admin"], 303),
    },
    ("POST", "/reports/exemptions/<exemption_id>/decide"): {
        "setup": exemption,
        "form": {"approve": "true", "note": "情况属实"},
        "expected": ok_for(["supervisor"], 303, hidden=HIDDEN),
    },
}
