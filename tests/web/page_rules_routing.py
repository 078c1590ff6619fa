"""Page rules for the dispatch suggestions the intake form's script asks for (see test_page_permissions.py)."""

from .test_page_permissions import ok_for

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
