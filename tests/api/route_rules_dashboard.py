"""Route permission rows for the dashboard's API (/api/v1/reports/dashboard)."""

from .test_route_permissions import _ok_for

# Supervisors and admins get the city's; every unit's staff get their own unit's.
READERS = ["supervisor", "admin", "staff_own", "staff_assist", "staff_other"]

RULES = {
    ("GET", "/api/v1/reports/dashboard"): {"expected": _ok_for(READERS)},
}
