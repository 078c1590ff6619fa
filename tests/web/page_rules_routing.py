"""Page rules for the dispatch suggestions the intake form's script asks for (see test_page_permissions.py)."""

from .test_page_permissions import action, ok_for

PAGES = {
    ("POST", "/ui/dispatch/suggest"): {
        "form": {"content": "小区路灯不亮", "area": "D1", "category": ""},
        "expected": ok_for(["operator", "dispatcher", "supervisor"], anonymous=401),
    },
}


def _rule(world):
    from hotline.core import clock
    from hotline.extensions import db
    from hotline.routing import catalogue

    with world.app.app_context():
        rule = catalogue.create_rule(
            actor=None,
            now=clock.now(),
            values={
                "category": "SOC.PEN",
                "lead_unit": "DEPT-A",
                "basis": "职责",
                "effective_from": clock.now().date(),
            },
        )
        db.session.commit()
        return {"rule_id": rule.id}


_FORM = {"category": "SOC.PEN", "lead_unit": "DEPT-A", "basis": "养老保险经办职责", "effective_from": "2026-01-01"}
ADMIN = ["admin"]

PAGES |= {
    ("POST", "/ui/dispatch/similar"): {
        "form": {"content": "路灯不亮，请尽快维修。", "area": "D1-T1"},
        "expected": ok_for(["operator", "dispatcher", "supervisor"], anonymous=401),
    },
    ("GET", "/admin/catalogue"): {"expected": ok_for(ADMIN)},
    ("GET", "/admin/catalogue/new"): {"expected": ok_for(ADMIN)},
    ("POST", "/admin/catalogue/new"): {"form": _FORM, "expected": ok_for(ADMIN, 303)},
    ("GET", "/admin/catalogue/<int:rule_id>/edit"): {"setup": _rule, "expected": ok_for(ADMIN)},
    ("POST", "/admin/catalogue/<int:rule_id>/edit"): {"setup": _rule, "form": _FORM, "expected": ok_for(ADMIN, 303)},
    ("GET", "/admin/catalogue/<int:rule_id>/history"): {"setup": _rule, "expected": ok_for(ADMIN)},
}

# The reply check as the unit's staff type (the reply form's script), and its settings page.
SETTERS = ["supervisor", "admin"]
PAGES |= {
    ("POST", "/ui/tickets/<number>/reply-check"): {
        "state": "accepted",
        "form": {"content": "您好，经现场核查，路灯已修复。如有疑问请致电本单位。"},
        "expected": ok_for(["staff_own", "supervisor"], hidden=("staff_other",), anonymous=401),
    },
    ("GET", "/supervision/reply-check"): {"expected": ok_for(SETTERS)},
    ("POST", "/supervision/reply-check"): {"form": {"complaint": "block"}, "expected": ok_for(SETTERS, 303)},
}

# The group dispatch of duplicates (the head's page): dispatchers only.
PAGES[("POST", "/tickets/<number>/dispatch-group")] = action(
    ["dispatcher"], "pending_dispatch", {"members": "SIMILAR", "lead_unit": "DEPT-A", "assist_units": "DEPT-C"}
)
