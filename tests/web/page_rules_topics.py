"""Page rules for the hot-topics page (see test_page_permissions.py): supervisors and admins."""

from .test_page_permissions import ok_for

PAGES = {
    ("GET", "/reports/hot-topics"): {"expected": ok_for(["supervisor", "admin"])},
}
