"""Page rules for the dispatch suggestions the intake form's script asks for (see test_page_permissions.py)."""

from .test_page_permissions import ok_for

PAGES = {
    ("POST", "/ui/dispatch/suggest"): {
        "form": {"content": "小区路灯不亮", "area": "D1", "category": ""},
        "expected": ok_for(["operator", "dispatcher", "supervisor"], anonymous=401),
    },
}
