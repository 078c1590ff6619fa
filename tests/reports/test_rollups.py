"""Rollups: a closed month's stored figures equal its live computation, figure by figure,
and a change that alters a stored month makes it stale at once (never served), until it
is built again. On the hand-built November 2026 (tests/reports/story.py; its figures are
checked from the rollup too, in test_figures.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hotline.core import clock
from hotline.extensions import db
from hotline.reports import figures, monthly, rollups
from hotline.reports import services as reports
from hotline.reports.models import Exemption
from hotline.reports.periods import month_period
from hotline.reports.rollup_models import FigureMonthVersion, FigureRollup
from hotline.supervision.models import Card
from hotline.tickets import services as tickets

from .story import local

NOW = local(12, 10, 12)
NOV = month_period("2026-11", "Asia/Shanghai")
OCT = month_period("2026-10", "Asia/Shanghai")
LEVELS = (None, "city", "district", "town")


def live(app, fn):
    """``fn()`` with rollups off: what the figures are, computed from the tickets."""
    app.config["REPORT_ROLLUPS"] = False
    try:
        return fn()
    finally:
        app.config["REPORT_ROLLUPS"] = True


def everything() -> dict:
    """Every figure a rollup serves: units, totals (city and each level), centre, the bulletin."""
    doc = monthly.compute("2026-11", now=NOW)
    doc.pop("as_of")
    return {
        "units": figures.unit_figures(NOV, now=NOW),
        "one unit": figures.unit_figures(NOV, now=NOW, unit_code="DEPT-A"),
        "pair": figures.unit_and_total_figures(NOV, now=NOW),
        "totals": {level: figures.total_figures(NOV, now=NOW, level=level) for level in LEVELS},
        "centre": figures.centre_figures(NOV, now=NOW),
        "bulletin": doc,
    }


def store(*months: str) -> None:
    for month in months or ("2026-11",):
        rollups.build(month, now=NOW)
    db.session.commit()


def served() -> bool:
    return rollups.stored(NOV, now=NOW, part="units") is not None


def assert_stored_equals_live(app) -> None:
    """Built afresh, the rollup is served and every figure is what the live code says."""
    store()
    assert served()
    expected = live(app, everything)
    assert everything() == expected


def by_code(rows):
    return {r["code"]: r for r in rows}


def test_a_stored_month_equals_the_live_computation_of_every_figure(app, november):
    expected = live(app, everything)
    store("2026-10", "2026-11")
    assert served()
    got = everything()
    for part in expected:
        assert got[part] == expected[part], part
    # The trend's stored months, and the months before (no tickets) live: the same numbers.
    assert [m["received"] for m in got["bulletin"]["trend"]][-2:] == [1, 13]


def test_what_is_stored_are_the_raw_counts(app, november):
    store()
    row = db.session.get(FigureRollup, "2026-11")
    a_id = by_code(figures.unit_figures(NOV, now=NOW))["DEPT-A"]["unit_id"]
    assert row.units["units"][str(a_id)]["received"] == 8
    assert row.units["total"]["received"] == 12
    assert row.centre["counts"]["centre_received"] == 13
    assert row.period_start == NOV.start and row.period_end == NOV.end
    assert len(row.worst["open"]) == 1  # T12 (T7 exempted; T4 not overdue)


def test_a_running_month_and_filtered_figures_are_never_read_from_a_rollup(app, november):
    store()
    assert rollups.stored(NOV, now=local(11, 30, 12), part="units") is None  # not over at that time
    assert rollups.stored(month_period("2026-12", "Asia/Shanghai"), now=NOW, part="units") is None
    from hotline.units import queries

    d2 = queries.get_by_code("D2").id
    a = by_code(figures.unit_figures(NOV, now=NOW, unit_code="DEPT-A", area_unit_id=d2))["DEPT-A"]
    assert a["received"] == 1  # live, by area
    with pytest.raises(Exception) as exc:
        rollups.build("2026-12", now=NOW)
    assert getattr(exc.value, "field", None) == "month"


def _version() -> int:
    return rollups.month_version("2026-11")


def test_a_late_exemption_makes_the_month_stale_until_rebuilt(app, world, november):
    store()
    before = _version()
    ticket = world.get(november["T12"])
    staff = world.user("staff_a")
    reports.request_exemption(ticket, actor=staff, now=NOW, reason_code="force_majeure", note="停电")
    db.session.commit()
    assert served()  # a pending request changes nothing
    x = db.session.scalars(select(Exemption).where(Exemption.ticket_id == ticket.id)).one()
    reports.decide_exemption(x, actor=world.user("supervisor"), now=NOW, approve=True, note="属实")
    db.session.commit()
    assert _version() > before and not served()
    a = by_code(figures.unit_figures(NOV, now=NOW))["DEPT-A"]  # live now
    assert (a["exempted"], a["yellow_cards"], a["red_cards"], a["reply_overdue"]) == (2, 1, 0, 1)
    assert_stored_equals_live(app)


def test_a_late_reply_and_callback_change_nothing_stored_and_the_worst_list_stays_right(app, world, november):
    store()
    before = _version()
    t12 = world.get(november["T12"])
    tickets.accept(t12, actor=world.user("staff_a"), now=NOW)
    tickets.reply(t12, actor=world.user("staff_a"), now=NOW, content="已处理")
    tickets.callback(t12, actor=world.user("operator"), now=NOW, satisfaction="satisfied", resolved=True)
    db.session.commit()
    assert _version() == before and served()  # counted in December: November's figures stand
    assert everything() == live(app, everything)


def test_a_reopen_after_the_month_keeps_the_figures_right(app, world, november):
    store()
    t4 = world.get(november["T4"])  # dispatched Nov 30, replied Dec 1
    tickets.callback(t4, actor=world.user("operator"), now=NOW, satisfaction="dissatisfied", resolved=False)
    db.session.commit()
    assert t4.status == "dispatched"  # reopened: a new round, in December
    if served():
        assert everything() == live(app, everything)
    assert_stored_equals_live(app)


def test_a_late_return_makes_the_month_stale(app, world, november):
    store()
    t12 = world.get(november["T12"])
    expected_before = figures.centre_figures(NOV, now=NOW)["dispatched_accurately"]
    tickets.return_ticket(t12, actor=world.user("staff_a"), now=NOW, reason="非本单位职责")
    db.session.commit()
    assert not served()
    assert figures.centre_figures(NOV, now=NOW)["dispatched_accurately"] == expected_before - 1
    assert_stored_equals_live(app)


def test_a_late_merge_makes_the_month_stale(app, world, november):
    store()
    t12, t1 = world.get(november["T12"]), world.get(november["T1"])
    tickets.merge(t12, actor=world.user("dispatcher"), now=NOW, into=t1.number)
    db.session.commit()
    assert not served()
    assert figures.total_figures(NOV, now=NOW)["received"] == 11
    assert_stored_equals_live(app)


def test_a_late_extension_decision_makes_the_month_stale(app, world, november):
    t12 = world.get(november["T12"])
    tickets.accept(t12, actor=world.user("staff_a"), now=local(11, 25, 9, 30))
    tickets.request_extension(t12, actor=world.user("staff_a"), now=local(11, 25, 10), hours=24, reason="需核查")
    db.session.commit()
    store()
    tickets.decide_extension(t12, actor=world.user("supervisor"), now=NOW, approve=True)
    db.session.commit()
    assert not served()
    a = by_code(figures.unit_figures(NOV, now=NOW))["DEPT-A"]
    assert (a["extensions"], a["extensions_approved"]) == (2, 2)
    assert_stored_equals_live(app)


def test_a_card_changed_later_makes_the_month_stale(app, world, november):
    """There is no voiding of cards yet: any later change of a card row (here, moved to
    another unit) stands for it."""
    from hotline.units import queries

    store()
    card = db.session.scalars(select(Card).where(Card.ticket_id == world.get(november["T12"]).id)).first()
    card.unit_id = queries.get_by_code("DEPT-B").id
    db.session.commit()
    assert not served()
    b = by_code(figures.unit_figures(NOV, now=NOW))["DEPT-B"]
    assert b["yellow_cards"] + b["red_cards"] == 2
    assert_stored_equals_live(app)


def test_a_change_during_the_build_leaves_the_row_stale(app, world, november, monkeypatch):
    """The version is read before the figures: a change that lands while they are computed
    bumps the month past the version stored with them."""
    real = rollups.compute

    def with_a_change(period, *, now):
        t12 = world.get(november["T12"])
        tickets.merge(t12, actor=world.user("dispatcher"), now=NOW, into=november["T1"])
        db.session.flush()
        return real(period, now=now)

    monkeypatch.setattr(rollups, "compute", with_a_change)
    store()
    assert not served()
    monkeypatch.setattr(rollups, "compute", real)
    assert_stored_equals_live(app)


def test_the_job_builds_only_what_is_missing_or_stale(app, world, november):
    built = rollups.refresh(NOW)
    db.session.commit()
    assert built[0] == "2026-11" and len(built) == rollups.REFRESH_MONTHS
    assert rollups.refresh(NOW) == []
    t12, t1 = world.get(november["T12"]), world.get(november["T1"])
    tickets.merge(t12, actor=world.user("dispatcher"), now=NOW, into=t1.number)
    db.session.commit()
    assert rollups.refresh(NOW) == ["2026-11"]
    assert served()


def test_the_periodic_job_is_registered(app):
    from hotline.core.wiring import periodic_jobs

    jobs = {p.name: p for p in periodic_jobs(app)}
    assert jobs["figure-rollups"].path == "hotline.reports.rollups.refresh_job"


def test_the_cli_builds_a_month_and_refuses_bad_ones(app, november):
    db.session.rollback()  # the fixture's session lets the command's own take the database
    runner = app.test_cli_runner()
    r = runner.invoke(args=["report", "rollup", "--month", "2026-11"])
    assert r.exit_code == 0, r.output
    assert "2026-11" in r.output
    assert served()  # (the command ran in this app context)
    for bad in ("2026-12", "2026-13", "11/2026"):
        r = runner.invoke(args=["report", "rollup", "--month", bad])
        assert r.exit_code != 0 and "月" in r.output, (bad, r.output)
    r = runner.invoke(args=["report", "rollup"])
    assert r.exit_code == 0, r.output
    assert db.session.scalar(select(db.func.count()).select_from(FigureRollup)) == rollups.REFRESH_MONTHS


def test_a_change_to_a_ticket_of_this_month_bumps_no_stored_month(app, world):
    """Everyday work on this month's tickets costs no extra statement."""
    with app.app_context():
        world.ticket("dispatched", lead="DEPT-A")  # created now (10 December)
        assert db.session.scalar(select(db.func.count()).select_from(FigureMonthVersion)) == 0
        assert clock.now() == NOW
