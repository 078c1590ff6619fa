"""Route permission rows for the monthly bulletins' API (/api/v1/reports/bulletins).

Published bulletins: supervisors, admins and every unit's staff (a bulletin goes to all
member units); previews: supervisors and admins; publishing and corrections: supervisors.
"""

from ..reports.bulletin_helpers import PUBLISHED_MONTH, published
from .test_route_permissions import _ok_for

READERS = ["supervisor", "admin", "staff_own", "staff_assist", "staff_other"]

RULES = {
    ("GET", "/api/v1/reports/bulletins"): {"setup": published, "expected": _ok_for(READERS)},
    ("GET", "/api/v1/reports/bulletins/<month>"): {"setup": published, "expected": _ok_for(READERS)},
    ("GET", "/api/v1/reports/bulletins/<month>/preview"): {
        "path": {"month": "2026-11"},
        "expected": _ok_for(["supervisor", "admin"]),
    },
    ("POST", "/api/v1/reports/bulletins/<month>/publish"): {
        "path": {"month": PUBLISHED_MONTH},
        "expected": _ok_for(["supervisor"], 201),
    },
    ("GET", "/api/v1/reports/bulletins/<month>/corrections"): {"setup": published, "expected": _ok_for(READERS)},
    ("POST", "/api/v1/reports/bulletins/<month>/corrections"): {
        "setup": published,
        "body": {"note": "核对"},
        "expected": _ok_for(["supervisor"]),
    },
}
