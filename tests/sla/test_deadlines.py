"""Deadlines through a ticket's life, as the API shows them, and recomputed from events."""

from datetime import UTC, datetime, timedelta

import pytest

from hotline.core import clock
from hotline.extensions import db
from hotline.sla import policies, services
from hotline.sla.explain import recompute_from_events
from hotline.sla.models import CalendarWarning, Deadline
from hotline.tickets import queries

from ..conftest import FROZEN_NOW


def detail(world, number, user="supervisor"):
    r = world.client(user).get(f"/api/v1/tickets/{number}")
    assert r.status_code == 200, r.json
    return r.json


def by_kind(data, kind, sequence=None):
    found = [d for d in data["deadlines"] if d["kind"] == kind and (sequence is None or d["sequence"] == sequence)]
    assert len(found) == 1, data["deadlines"]
    return found[0]


def add_policy(app, **values):
    with app.app_context():
        values = {"name": "规则", "request_type": "*", "urgency": "*", "reply_hours": 22} | values
        policy = policies.create_policy(actor=None, now=clock.now(), values=values)
        db.session.commit()
        return policy.id


def recomputed_matches_stored(app, number):
    with app.app_context():
        ticket = queries.get_visible(app_user(app), number)
        events = queries.events(ticket)
        redone = recompute_from_events(
            events, compute=lambda start, hours, terms: services.compute(start, hours, terms, now=FROZEN_NOW)
        )
        stored = [d for d in services.for_ticket(ticket.id) if d.kind != "rectification"]
        assert len(redone) == len(stored)
        for again, row in zip(redone, sorted(stored, key=lambda d: d.id), strict=True):
            assert (again["kind"], again["sequence"]) == (row.kind, row.sequence)
            assert (again["due_at"], again["warn_at"], again["red_at"]) == (row.due_at, row.warn_at, row.red_at)
        return redone


def app_user(app):
    from hotline.accounts.queries import get_by_username

    return get_by_username("supervisor")


def test_without_policies_a_dispatch_gets_the_built_in_22_natural_hours(world, app):
    number = world.ticket("dispatched")
    data = detail(world, number)
    assert [d["kind"] for d in data["deadlines"]] == ["reply"]  # no accept deadline by default
    reply = by_kind(data, "reply")
    assert reply["due_at"] == data["reply_due_at"] == "2026-11-22T08:02:00+08:00"  # dispatched at 10:02
    assert reply["warn_at"] == "2026-11-22T03:38:00+08:00" and reply["red_at"] == "2026-11-23T06:02:00+08:00"
    assert reply["policy"]["policy_id"] is None and reply["policy"]["reply_hours"] == 22
    assert reply["calendar"] == {"mode": "natural"} and reply["unit"] == "DEPT-A" and reply["is_open"]
    assert reply["explanation"].startswith("派单时间 2026年11月21日 10:02 起算，自然时间 22 小时")
    assert "应于 2026年11月22日 08:02 前答复" in reply["explanation"]
    # Unit staff see the deadlines of their tickets too.
    assert detail(world, number, "staff_a")["deadlines"] == data["deadlines"]
    recomputed_matches_stored(app, number)


def test_accept_meets_the_accept_deadline_and_reply_meets_the_reply_deadline(world, app):
    add_policy(app, accept_hours=2, reply_hours=20, name="一般件")
    number = world.ticket("dispatched")
    data = detail(world, number)
    accept, reply = by_kind(data, "accept"), by_kind(data, "reply")
    assert accept["due_at"] == "2026-11-21T12:02:00+08:00" and reply["due_at"] == data["reply_due_at"]
    assert reply["due_at"] == "2026-11-22T06:02:00+08:00" and reply["policy"]["name"] == "一般件"
    assert world.client("staff_a").post(f"/api/v1/tickets/{number}/accept").status_code == 200
    data = detail(world, number)
    assert by_kind(data, "accept")["stop_reason"] == "met" and by_kind(data, "reply")["is_open"]
    r = world.client("staff_a").post(
        f"/api/v1/tickets/{number}/reply", json={"content": "已处理", "confirm_warnings": True}
    )
    assert r.status_code == 200
    reply = by_kind(detail(world, number), "reply")
    assert reply["stop_reason"] == "met" and not reply["is_open"] and "停止计时（已按时办理）" in reply["explanation"]
    with app.app_context():
        assert all(d.next_check_at is None for d in db.session.scalars(db.select(Deadline)))


def test_the_most_specific_policy_wins_urgency_first(app, world):
    add_policy(app, name="全部", reply_hours=22)
    add_policy(app, name="投诉", request_type="complaint", reply_hours=20)
    add_policy(app, name="紧急", urgency="urgent", reply_hours=4)
    with app.app_context():
        assert policies.terms_for("complaint", "normal").name == "投诉"
        assert policies.terms_for("complaint", "urgent").name == "紧急"
        assert policies.terms_for("help", "normal").name == "全部"
    add_policy(app, name="紧急投诉", request_type="complaint", urgency="urgent", reply_hours=2)
    with app.app_context():
        assert policies.terms_for("complaint", "urgent").name == "紧急投诉"


def test_a_policy_change_applies_to_later_dispatches_only(world, app):
    policy_id = add_policy(app, reply_hours=22)
    first = world.ticket("dispatched")
    r = world.client("admin").patch(f"/api/v1/sla/policies/{policy_id}", json={"reply_hours": 10})
    assert r.status_code == 200 and r.json["version"] == 2
    second = world.ticket("dispatched")
    one, two = by_kind(detail(world, first), "reply"), by_kind(detail(world, second), "reply")
    assert one["policy"]["reply_hours"] == 22 and one["policy"]["version"] == 1
    assert one["due_at"] == "2026-11-22T08:02:00+08:00"
    assert two["policy"]["reply_hours"] == 10 and two["policy"]["version"] == 2
    assert two["due_at"] == "2026-11-21T20:02:00+08:00"
    recomputed_matches_stored(app, first)
    recomputed_matches_stored(app, second)


def test_an_approved_extension_moves_the_reply_deadline_and_its_points(world, app):
    number = world.ticket("extension_pending")  # asked for 24 hours
    before = by_kind(detail(world, number), "reply")
    r = world.client("supervisor").post(f"/api/v1/tickets/{number}/decide-extension", json={"approve": True})
    assert r.status_code == 200
    data = detail(world, number)
    after = by_kind(data, "reply")
    assert after["due_at"] == data["reply_due_at"] == "2026-11-23T08:02:00+08:00"
    assert after["extension_hours"] == 24 and after["sequence"] == before["sequence"] == 1
    assert after["warn_at"] == "2026-11-22T22:50:00+08:00"  # 80% of 46 h
    assert after["red_at"] == "2026-11-25T06:02:00+08:00"  # twice 46 h
    assert "经延期 24 小时（共 46 小时）" in after["explanation"]
    assert data["extension_requests"][0]["new_due_at"] == after["due_at"]
    recomputed_matches_stored(app, number)


def test_a_refused_extension_changes_nothing(world):
    number = world.ticket("extension_pending")
    before = by_kind(detail(world, number), "reply")
    world.client("supervisor").post(f"/api/v1/tickets/{number}/decide-extension", json={"approve": False})
    assert by_kind(detail(world, number), "reply") == before


def test_a_return_stops_the_units_clock_and_a_new_dispatch_starts_a_new_one(world, app):
    number = world.ticket("returned")
    first = by_kind(detail(world, number), "reply", 1)
    assert first["stop_reason"] == "returned" and not first["is_open"]
    r = world.client("dispatcher").post(f"/api/v1/tickets/{number}/dispatch", json={"lead_unit": "DEPT-B"})
    assert r.status_code == 200
    second = by_kind(detail(world, number), "reply", 2)
    assert second["unit"] == "DEPT-B" and second["is_open"] and second["due_at"] == r.json["reply_due_at"]
    recomputed_matches_stored(app, number)


def test_a_reopen_starts_a_new_reply_deadline(world, app):
    number = world.ticket("reopened")
    data = detail(world, number)
    assert by_kind(data, "reply", 1)["stop_reason"] == "met"
    again = by_kind(data, "reply", 2)
    assert again["is_open"] and again["due_at"] == data["reply_due_at"] and again["unit"] == "DEPT-A"
    recomputed_matches_stored(app, number)


@pytest.mark.parametrize(("state", "reason"), [("merged", None), ("closed", "met")])
def test_merge_and_close_leave_no_clock_running(world, app, state, reason):
    number = world.ticket(state)
    with app.app_context():
        ticket = world.get(number)
        assert all(not d.is_open for d in services.for_ticket(ticket.id))
    number = world.ticket("accepted")
    target = world.ticket("new")
    assert world.client("dispatcher").post(f"/api/v1/tickets/{number}/merge", json={"into": target}).status_code == 200
    assert by_kind(detail(world, number), "reply")["stop_reason"] == "merged"


def test_working_time_policy_on_new_years_eve_reaches_2027_warns_admins_and_never_fails(world, app):
    add_policy(app, clock_mode="working", reply_hours=22, name="工作时间")
    evening = datetime(2026, 12, 31, 11, 0, tzinfo=UTC)  # 19:00 in Shanghai
    app.config["CLOCK"] = lambda: evening
    number = world.ticket("dispatched")
    reply = by_kind(detail(world, number), "reply")
    assert reply["calendar"]["years"] == {"2026": "package", "2027": "weekends"}
    assert reply["due_at"] == "2027-01-05T17:30:00+08:00"  # 1 Jan counted: nobody entered 2027 yet
    assert "2027 年暂无节假日数据，仅排除周末" in reply["explanation"]
    warnings = world.client("admin").get("/api/v1/sla/calendar/warnings").json["items"]
    assert [(w["year"], w["resolved"]) for w in warnings] == [(2027, False)]
    assert "2027" in warnings[0]["message"]
    # The admin enters New Year's Day 2027; the warning is resolved; later dispatches use it.
    r = world.client("admin").post("/api/v1/sla/calendar/days", json={"date": "2027-01-01", "is_working": False})
    assert r.status_code == 201
    assert world.client("admin").get("/api/v1/sla/calendar/warnings").json["items"][0]["resolved"] is True
    later = world.ticket("dispatched")
    reply = by_kind(detail(world, later), "reply")
    assert reply["due_at"] == "2027-01-06T17:30:00+08:00" and reply["calendar"]["years"]["2027"] == "admin"
    # Running deadlines keep their computation.
    assert by_kind(detail(world, number), "reply")["due_at"] == "2027-01-05T17:30:00+08:00"
    with app.app_context():
        assert db.session.query(CalendarWarning).count() == 1


def test_working_time_explanation_names_the_calendar(world, app):
    add_policy(app, clock_mode="working", reply_hours=22, name="工作时间")
    number = world.ticket("dispatched")  # Saturday 21 Nov 2026, 10:02
    reply = by_kind(detail(world, number), "reply")
    assert reply["due_at"] == "2026-11-25T17:30:00+08:00"  # Mon 7.5 h, Tue 7.5 h, Wed 3.5 h + 3.5 h
    assert (
        "工作时间 22 小时（每日 08:30-12:00、14:00-18:00；2026 年法定节假日已排除、调休工作日已计入）"
        in (reply["explanation"])
    )
    recomputed_matches_stored(app, number)


def test_rectification_deadline_service(world, app):
    number = world.ticket("accepted")
    with app.app_context():
        ticket = world.get(number)
        unit_id = ticket.lead_unit_id
        due = FROZEN_NOW + timedelta(days=5)
        deadline = services.open_deadline(
            ticket.id,
            request_type=ticket.request_type,
            urgency=ticket.urgency,
            unit_id=unit_id,
            due_at=due,
            now=FROZEN_NOW,
            source_type="rectification_notice",
            source_id=7,
        )
        again = services.open_deadline(
            ticket.id,
            request_type=ticket.request_type,
            urgency=ticket.urgency,
            unit_id=unit_id,
            due_at=due,
            now=FROZEN_NOW,
            source_type="rectification_notice",
            source_id=7,
        )
        assert again.id == deadline.id and deadline.kind == "rectification" and deadline.sequence == 1
        assert deadline.warn_at == FROZEN_NOW + timedelta(days=4) and deadline.red_at == FROZEN_NOW + timedelta(days=10)
        assert deadline.next_check_at == deadline.warn_at
        with pytest.raises(ValueError, match="dispatch"):
            services.open_deadline(
                ticket.id,
                request_type=ticket.request_type,
                urgency=ticket.urgency,
                kind="reply",
                unit_id=unit_id,
                due_at=due,
                now=FROZEN_NOW,
                source_type="x",
                source_id=1,
            )
        from hotline.core.errors import InvalidInput

        with pytest.raises(InvalidInput) as exc:
            services.open_deadline(
                ticket.id,
                request_type=ticket.request_type,
                urgency=ticket.urgency,
                unit_id=unit_id,
                due_at=FROZEN_NOW,
                now=FROZEN_NOW,
                source_type="rectification_notice",
                source_id=8,
            )
        assert exc.value.field == "due_at"
        db.session.commit()
    rect = by_kind(detail(world, number), "rectification")
    assert rect["explanation"].startswith("整改通知下达时间 2026年11月21日 10:00 起算，整改期限 120 小时（自然时间）")
    with app.app_context():
        found = services.find_deadline(source_type="rectification_notice", source_id="7")
        assert services.meet_deadline(found, now=FROZEN_NOW + timedelta(days=1)) is True
        assert services.meet_deadline(found, now=FROZEN_NOW + timedelta(days=2)) is False
        assert found.next_check_at is None
        db.session.commit()
    # A ticket's own clocks do not stop a rectification deadline, and it keeps its sequence.
    assert by_kind(detail(world, number), "rectification")["stop_reason"] == "met"


def test_dispatch_event_keeps_what_recomputation_needs(world, app):
    number = world.ticket("dispatched")
    with app.app_context():
        ticket = world.get(number)
        dispatch = next(e for e in queries.events(ticket) if e.action == "dispatch")
        assert dispatch.data["sla"]["policy"]["reply_hours"] == 22
        assert dispatch.data["reply_due_at"] == "2026-11-22T08:02:00+08:00"
        # The service computed the same instant the ticket holds.
        assert ticket.reply_due_at == services.open_clock(ticket.id, "reply").due_at
