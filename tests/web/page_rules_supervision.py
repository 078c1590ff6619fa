"""Page rules for the supervision pages (see test_page_permissions.py).

The case is a complaint dispatched to DEPT-A (staff_own) with DEPT-C (staff_assist)
assisting; the case is about DEPT-A, so DEPT-C's and DEPT-B's staff get 404.
"""

from ..esup.helpers import issue_notice, open_case_id
from .test_page_permissions import ok_for

CASE_HIDDEN = ("staff_assist", "staff_other")
READERS = ["supervisor", "admin", "staff_own", "staff_assist", "staff_other"]


def _case(world):
    number = world.ticket("dispatched", lead="DEPT-A", assists=["DEPT-C"], request_type="complaint")
    return {"case_id": open_case_id(world, number)}


def _case_with_notice(world):
    params = _case(world)
    params["notice_id"] = issue_notice(world, params["case_id"], unit="DEPT-A")
    return params


def _open_case_target(world):
    world.ticket("dispatched", request_type="consultation")
    return {}


def _case_form(form, body):
    return {
        "setup": lambda world: {**_case(world), "form": form},
        "form": body,
        "expected": ok_for(["supervisor"], 303, hidden=CASE_HIDDEN),
    }


PAGES = {
    ("GET", "/supervision/cases"): {"expected": ok_for(READERS)},
    ("POST", "/supervision/cases"): {
        "setup": _open_case_target,
        "form": {"ticket": "20261121-000001", "reason": "督办立案"},
        "expected": ok_for(["supervisor"], 303),
    },
    ("GET", "/supervision/cases/<case_id>"): {
        "setup": _case,
        "expected": ok_for(["supervisor", "admin", "staff_own"], hidden=CASE_HIDDEN),
    },
    ("POST", "/supervision/cases/<case_id>/notices/<notice_id>/response"): {
        "setup": _case_with_notice,
        "form": {"response": "已完成整改"},
        "expected": ok_for(["staff_own"], 303, hidden=CASE_HIDDEN),
    },
    ("GET", "/supervision/cards"): {"expected": ok_for(READERS)},
    ("GET", "/notifications"): {"expected": ok_for(["supervisor", "admin"])},
}

# One route serves three forms; each is checked for every role.
CASE_FORMS = {
    "orders": _case_form("orders", {"kind": "urge", "note": "请加快办理"}),
    "notices": _case_form("notices", {"content": "请于期限内整改", "due_at": "2026-11-25T18:00"}),
    "close": _case_form("close", {"note": "已整改到位，结案"}),
}
