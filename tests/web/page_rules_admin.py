"""Page rules for the admin pages (/admin/...): admins only; every other role, and unit
staff of any unit, get 403 and change nothing (see test_page_permissions.py)."""

from datetime import date

from sqlalchemy import select

from hotline.core import clock
from hotline.extensions import db
from hotline.ops.models import FailedJob
from hotline.sla import calendars, policies
from hotline.sla.models import SlaPolicy

from .test_page_permissions import ok_for

ADMIN = ["admin"]


def _policy(world):
    """A complaints policy (the one made before, when a test asks again: one per type and urgency)."""
    with world.app.app_context():
        existing = db.session.scalar(select(SlaPolicy.id).where(SlaPolicy.request_type == "complaint"))
        if existing is not None:
            return {"policy_id": existing}
        policy = policies.create_policy(
            actor=None,
            now=clock.now(),
            values={"name": "投诉件", "request_type": "complaint", "urgency": "*", "reply_hours": 22},
        )
        db.session.commit()
        return {"policy_id": policy.id}


def _day(world):
    with world.app.app_context():
        calendars.add_day(actor=None, now=clock.now(), day=date(2027, 1, 1), is_working=False, note="元旦")
        db.session.commit()
    return {"day": "2027-01-01"}


def _failed_job(world):
    with world.app.app_context():
        row = FailedJob(
            path="hotline.sla.jobs.sweep",
            args=[],
            queue="escalation",
            error="RuntimeError: boom",
            failed_at=clock.now(),
        )
        db.session.add(row)
        db.session.commit()
        return {"source": "inline", "job_id": row.id}


PAGES = {
    ("GET", "/admin"): {"expected": ok_for(ADMIN)},
    # units
    ("GET", "/admin/units"): {"expected": ok_for(ADMIN)},
    ("GET", "/admin/units/new"): {"expected": ok_for(ADMIN)},
    ("POST", "/admin/units/new"): {
        "form": {"code": "DEPT-X", "name": "市新设局", "level": "city"},
        "expected": ok_for(ADMIN, 303),
    },
    ("GET", "/admin/units/<code>/edit"): {"path": {"code": "DEPT-B"}, "expected": ok_for(ADMIN)},
    ("POST", "/admin/units/<code>/edit"): {
        "path": {"code": "DEPT-B"},
        "form": {"name": "市市场监管局", "parent": "CITY", "contact_phone": "0757-1234"},
        "expected": ok_for(ADMIN, 303),
    },
    ("POST", "/admin/units/<code>/contacts"): {
        "path": {"code": "DEPT-B"},
        "form": {"head_name": "张局长", "head_phone": "13800000001"},
        "expected": ok_for(ADMIN, 303),
    },
    ("POST", "/admin/units/<code>/active"): {
        "path": {"code": "DEPT-B"},
        "form": {"is_active": "false"},
        "expected": ok_for(ADMIN, 303),
    },
    # users
    ("GET", "/admin/users"): {"expected": ok_for(ADMIN)},
    ("GET", "/admin/users/new"): {"expected": ok_for(ADMIN)},
    ("POST", "/admin/users/new"): {
        "form": {"username": "new-op", "password": "password-456", "role": "operator", "display_name": "新话务员"},
        "expected": ok_for(ADMIN, 303),
    },
    ("GET", "/admin/users/<username>/edit"): {"path": {"username": "staff_a2"}, "expected": ok_for(ADMIN)},
    ("POST", "/admin/users/<username>/edit"): {
        "path": {"username": "staff_a2"},
        "form": {"display_name": "改名", "role": "unit_staff", "unit": "DEPT-B"},
        "expected": ok_for(ADMIN, 303),
    },
    ("POST", "/admin/users/<username>/active"): {
        "path": {"username": "staff_a2"},
        "form": {"is_active": "false"},
        "expected": ok_for(ADMIN, 303),
    },
    ("POST", "/admin/users/<username>/password"): {
        "path": {"username": "staff_a2"},
        "form": {"password": "another-pass-1"},
        "expected": ok_for(ADMIN, 303),
    },
    ("POST", "/admin/users/<username>/unlock"): {"path": {"username": "staff_a2"}, "expected": ok_for(ADMIN, 303)},
    # categories
    ("GET", "/admin/categories"): {"expected": ok_for(ADMIN)},
    ("GET", "/admin/categories/new"): {"expected": ok_for(ADMIN)},
    ("POST", "/admin/categories/new"): {
        "form": {"code": "SOC.MED", "name": "医疗保险", "parent": "SOC", "default_lead_unit": "DEPT-A"},
        "expected": ok_for(ADMIN, 303),
    },
    ("GET", "/admin/categories/<code>/edit"): {"path": {"code": "SOC.PEN"}, "expected": ok_for(ADMIN)},
    ("POST", "/admin/categories/<code>/edit"): {
        "path": {"code": "SOC.PEN"},
        "form": {"name": "养老保险", "default_lead_unit": "DEPT-C", "sort_order": "3", "is_active": "true"},
        "expected": ok_for(ADMIN, 303),
    },
    # deadline policies
    ("GET", "/admin/policies"): {"expected": ok_for(ADMIN)},
    ("GET", "/admin/policies/new"): {"expected": ok_for(ADMIN)},
    ("POST", "/admin/policies/new"): {
        "form": {"name": "紧急件", "request_type": "*", "urgency": "urgent", "reply_hours": "12", "warn_ratio": "80"},
        "expected": ok_for(ADMIN, 303),
    },
    ("GET", "/admin/policies/<policy_id>"): {"setup": _policy, "expected": ok_for(ADMIN)},
    ("POST", "/admin/policies/<policy_id>"): {
        "setup": _policy,
        "form": {"name": "投诉件", "reply_hours": "20"},
        "expected": ok_for(ADMIN, 303),
    },
    # the holiday calendar
    ("GET", "/admin/calendar"): {"expected": ok_for(ADMIN)},
    ("POST", "/admin/calendar/days"): {
        "form": {"first": "2027-02-06", "last": "2027-02-12", "is_working": "false", "note": "春节"},
        "expected": ok_for(ADMIN, 303),
    },
    ("POST", "/admin/calendar/days/<day>/delete"): {"setup": _day, "expected": ok_for(ADMIN, 303)},
    # notification templates
    ("GET", "/admin/templates"): {"expected": ok_for(ADMIN)},
    ("GET", "/admin/templates/<code>"): {"path": {"code": "unit_ticket_dispatched"}, "expected": ok_for(ADMIN)},
    ("POST", "/admin/templates/<code>"): {
        "path": {"code": "unit_ticket_dispatched"},
        "form": {"channel": "sms", "body": "【12345】{unit_name}：新工单{ticket_number}，请于{due_at}前答复。"},
        "expected": ok_for(ADMIN, 303),
    },
    # failed jobs
    ("GET", "/admin/jobs"): {"expected": ok_for(ADMIN)},
    ("POST", "/admin/jobs/<source>/<job_id>/retry"): {"setup": _failed_job, "expected": ok_for(ADMIN, 303)},
}
