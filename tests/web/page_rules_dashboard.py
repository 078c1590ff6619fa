"""Page rules for the dashboard (工作台) and its refresh endpoint (see test_page_permissions.py)."""

from .test_page_permissions import ok_for

# Supervisors and admins see the city's dashboard; every unit's staff their own unit's.
READERS = ["supervisor", "admin", "staff_own", "staff_assist", "staff_other"]

PAGES = {
    ("GET", "/dashboard"): {"expected": ok_for(READERS)},
    ("GET", "/ui/dashboard"): {"expected": ok_for(READERS, anonymous=401)},
}
