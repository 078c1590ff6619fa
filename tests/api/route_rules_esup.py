"""Route rules for notifications and e-supervision (see test_route_permissions.py).

The supervision case in these rows is a complaint dispatched to DEPT-A (staff_own) with
DEPT-C (staff_assist) assisting: the case is about DEPT-A, so DEPT-C's staff, like
DEPT-B's, do not see it (404).
"""

from sqlalchemy import select

from hotline.core import clock
from hotline.extensions import db
from hotline.notifications.models import Notification
from hotline.supervision.models import EsupDelivery

from ..esup.helpers import issue_notice, open_case_id
from .test_route_permissions import _ok_for

SUPERVISION_READERS = ["supervisor", "admin", "staff_own", "staff_assist", "staff_other"]
CASE_HIDDEN = ("staff_assist", "staff_other")


def _case(world):
    number = world.ticket("dispatched", lead="DEPT-A", assists=["DEPT-C"], request_type="complaint")
    return {"case_id": open_case_id(world, number)}


def _case_with_notice(world):
    params = _case(world)
    params["notice_id"] = issue_notice(world, params["case_id"], unit="DEPT-A")
    return params


def _consultation(world):
    number = world.ticket("dispatched", request_type="consultation")
    assert number == "20261121-000001"  # the body of the "open a case" row names it
    return {}


def _failed_notification(world):
    world.ticket("pending_dispatch", request_type="consultation")
    with world.app.app_context():
        notification = db.session.scalar(select(Notification).order_by(Notification.id))
        notification.status = "failed"
        notification.last_error = "HTTP 503"
        db.session.commit()
        return {"notification_id": notification.id}


def _dead_delivery(world):
    world.app.config.update(ESUP_URL="http://127.0.0.1:9/refused", ESUP_SECRET="s", ESUP_RETRY_INTERVALS=())
    world.ticket("new", request_type="complaint")
    with world.app.app_context():
        delivery = db.session.scalar(select(EsupDelivery).order_by(EsupDelivery.id))
        delivery.status = "dead"
        delivery.updated_at = clock.now()
        db.session.commit()
        return {"delivery_id": delivery.id}


def _case_action(ok_status=201):
    return _ok_for(["supervisor"], ok_status, hidden=CASE_HIDDEN)


RULES = {
    ("GET", "/api/v1/notifications"): {"expected": _ok_for(["supervisor", "admin"])},
    ("POST", "/api/v1/notifications/<notification_id>/retry"): {
        "setup": _failed_notification,
        "expected": _ok_for(["admin"]),
    },
    ("GET", "/api/v1/notification-templates"): {"expected": _ok_for(["admin"])},
    ("PATCH", "/api/v1/notification-templates/<code>"): {
        "path": {"code": "unit_urge"},
        "body": {"body": "请尽快办理工单{ticket_number}。"},
        "expected": _ok_for(["admin"]),
    },
    ("GET", "/api/v1/unit-contacts/<code>"): {"path": {"code": "DEPT-A"}, "expected": _ok_for(["admin"])},
    ("PATCH", "/api/v1/unit-contacts/<code>"): {
        "path": {"code": "DEPT-A"},
        "body": {"head_name": "周建国", "head_phone": "13900000101"},
        "expected": _ok_for(["admin"]),
    },
    ("GET", "/api/v1/supervision/cases"): {"expected": _ok_for(SUPERVISION_READERS)},
    ("POST", "/api/v1/supervision/cases"): {
        "setup": _consultation,
        "body": {"ticket": "20261121-000001", "reason": "群众反映办理不及时"},
        "expected": _ok_for(["supervisor"], 201),
    },
    ("GET", "/api/v1/supervision/cases/<case_id>"): {
        "setup": _case,
        "expected": _ok_for(["supervisor", "admin", "staff_own"], hidden=CASE_HIDDEN),
    },
    ("POST", "/api/v1/supervision/cases/<case_id>/orders"): {
        "setup": _case,
        "body": {"kind": "urge", "note": "请尽快办理"},
        "expected": _case_action(),
    },
    ("POST", "/api/v1/supervision/cases/<case_id>/notices"): {
        "setup": _case,
        "body": {"content": "请整改并反馈", "due_at": "2026-11-25T18:00:00+08:00"},
        "expected": _case_action(),
    },
    ("POST", "/api/v1/supervision/cases/<case_id>/notices/<notice_id>/response"): {
        "setup": _case_with_notice,
        "body": {"response": "已整改到位"},
        "expected": _ok_for(["staff_own"], hidden=CASE_HIDDEN),
    },
    ("POST", "/api/v1/supervision/cases/<case_id>/close"): {
        "setup": _case,
        "body": {"note": "核查属实，已整改，结案"},
        "expected": _case_action(200),
    },
    ("GET", "/api/v1/supervision/cards"): {"expected": _ok_for(SUPERVISION_READERS)},
    ("GET", "/api/v1/supervision/deliveries"): {"expected": _ok_for(["admin"])},
    ("POST", "/api/v1/supervision/deliveries/<delivery_id>/replay"): {
        "setup": _dead_delivery,
        "expected": _ok_for(["admin"]),
    },
}
