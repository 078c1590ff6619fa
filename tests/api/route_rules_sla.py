"""Route permission rows for the deadline API (/api/v1/sla) and the failed-jobs view."""

from datetime import date

from hotline.core import clock
from hotline.extensions import db
from hotline.sla import calendars, policies

from .test_route_permissions import _ok_for


def _policy(world):
    with world.app.app_context():
        policy = policies.create_policy(
            actor=None,
            now=clock.now(),
            values={"name": "投诉", "request_type": "complaint", "urgency": "*", "reply_hours": 22},
        )
        db.session.commit()
        return {"policy_id": policy.id}


def _day(world):
    with world.app.app_context():
        calendars.add_day(actor=None, now=clock.now(), day=date(2027, 1, 1), is_working=False, note="元旦")
        db.session.commit()
    return {"day": "2027-01-01"}


RULES = {
    ("GET", "/api/v1/sla/policies"): {"expected": _ok_for(["admin", "supervisor"])},
    ("POST", "/api/v1/sla/policies"): {
        "body": {"name": "紧急件", "urgency": "urgent", "reply_hours": 4, "accept_hours": 1},
        "expected": _ok_for(["admin"], 201),
    },
    ("PATCH", "/api/v1/sla/policies/<policy_id>"): {
        "setup": _policy,
        "body": {"reply_hours": 20},
        "expected": _ok_for(["admin"]),
    },
    ("GET", "/api/v1/sla/calendar/days"): {"expected": _ok_for(["admin", "supervisor"])},
    ("POST", "/api/v1/sla/calendar/days"): {
        "body": {"date": "2027-02-06", "is_working": False, "note": "春节"},
        "expected": _ok_for(["admin"], 201),
    },
    ("DELETE", "/api/v1/sla/calendar/days/<day>"): {"setup": _day, "expected": _ok_for(["admin"], 204)},
    ("GET", "/api/v1/sla/calendar/warnings"): {"expected": _ok_for(["admin", "supervisor"])},
    ("GET", "/api/v1/admin/jobs/failed"): {"expected": _ok_for(["admin"])},
}
