"""Page rules for the monthly bulletin's pages (see test_page_permissions.py).

A month not published is a preview: supervisors and admins see it, unit staff get 404
(they see published bulletins only). Published bulletins: every unit's staff too.
"""

from ..reports.bulletin_helpers import PUBLISHED_MONTH, published
from .test_page_permissions import ok_for

READERS = ["supervisor", "admin", "staff_own", "staff_assist", "staff_other"]
STAFF = ("staff_own", "staff_assist", "staff_other")

PAGES = {
    ("GET", "/reports/bulletins"): {"setup": published, "expected": ok_for(READERS)},
    ("GET", "/reports/bulletins/<month>"): {
        "path": {"month": "2026-11"},
        "expected": ok_for(["supervisor", "admin"], hidden=STAFF),
    },
    ("GET", "/reports/bulletins/<month>/charts/<chart>.svg"): {
        "setup": lambda world: {**published(world), "chart": "ranking-city"},
        "expected": ok_for(READERS),
    },
    ("GET", "/reports/bulletins/<month>/export"): {"setup": published, "expected": ok_for(READERS)},
    ("POST", "/reports/bulletins/<month>/publish"): {
        "path": {"month": PUBLISHED_MONTH},
        "expected": ok_for(["supervisor"], 303),
    },
    ("POST", "/reports/bulletins/<month>/corrections"): {
        "setup": published,
        "form": {"note": "核对"},
        "expected": ok_for(["supervisor"], 303),
    },
}
