"""Every figure of the hand-built November 2026 (tests/reports/story.py), exactly."""

from __future__ import annotations

import pytest

from hotline.reports import figures, scores
from hotline.reports.definitions import DEFINITIONS
from hotline.reports.periods import month_period

from .story import local

NOW = local(12, 10, 12)
NOV = month_period("2026-11", "Asia/Shanghai")


@pytest.fixture(params=["live", "stored"])
def november(request, november):
    """Every figure below checked twice: computed live, and read from November's rollup
    (hotline.reports.rollups), which must give exactly the same numbers."""
    if request.param == "stored":
        from hotline.extensions import db
        from hotline.reports import rollups

        for month in ("2026-10", "2026-11"):
            rollups.build(month, now=NOW)
        db.session.commit()
        assert rollups.stored(NOV, now=NOW, part="units") is not None
    return november


def by_code(rows):
    return {r["code"]: r for r in rows}


def test_dept_a(november):
    a = by_code(figures.unit_figures(NOV, now=NOW, unit_code="DEPT-A"))["DEPT-A"]
    expected = {
        "received": 8,  # T1 T2 T3 T4 T5 T6 T7 T12 (T0 in October, T8 merged, T3's reopen not again)
        "redispatched": 0,
        "reopened": 1,  # T3
        "still_open": 3,  # T4 (replied Dec 1), T7, T12
        "returned": 1,  # T5
        "reply_assessed": 7,  # T0 T1 T2 T3 T3' T6 T12 (T7 exempted, T4 December, T5 returned early)
        "reply_on_time": 5,
        "reply_overdue": 2,  # T3 first round, T12
        "overdue": 2,
        "replied_early": 2,  # T1, T3'
        "accept_assessed": 0,
        "callbacks": 4,
        "satisfied": 3,
        "dissatisfied": 1,
        "resolved": 2,
        "extensions": 1,
        "extensions_approved": 1,
        "yellow_cards": 2,  # T3, T12 (T7's are exempted)
        "red_cards": 1,  # T12
        "exempted": 1,  # T7
    }
    assert {k: a[k] for k in expected} == expected
    assert a["replied_on_time_rate"] == pytest.approx(5 / 7)
    assert a["early_rate"] == pytest.approx(2 / 7)
    assert a["accepted_on_time_rate"] is None
    assert a["satisfaction_rate"] == pytest.approx(3 / 4)
    assert a["resolution_rate"] == pytest.approx(2 / 4)
    assert a["reopen_rate"] == pytest.approx(1 / 4)
    assert a["returned_rate"] == pytest.approx(1 / 8)


def test_dept_b_accept_deadlines_redispatch_and_working_time(november):
    b = by_code(figures.unit_figures(NOV, now=NOW, level="city"))["DEPT-B"]
    expected = {
        "received": 4,  # T5 (re-dispatched), T10, T11, T13
        "redispatched": 1,
        "reopened": 1,
        "still_open": 0,
        "accept_assessed": 3,  # T11, T13, T13'
        "accept_on_time": 2,
        "accept_overdue": 1,
        "reply_assessed": 5,  # T5 T10 T11 T13 T13'
        "reply_on_time": 5,  # T10 on working time (natural hours would be overdue)
        "replied_early": 4,
        "callbacks": 2,
        "satisfied": 1,
        "resolved": 1,
        "yellow_cards": 1,  # T11 accepted late
        "red_cards": 0,
    }
    assert {k: b[k] for k in expected} == expected
    assert b["accepted_on_time_rate"] == pytest.approx(2 / 3)
    assert b["replied_on_time_rate"] == 1.0


def test_a_unit_with_no_tickets_has_none_rates(november):
    c = by_code(figures.unit_figures(NOV, now=NOW, level="city"))["DEPT-C"]
    assert c["received"] == 0 and c["reply_assessed"] == 0
    for name in figures.UNIT_RATES:
        assert c[name] is None
    scores.score_units([c], scores.DEFAULT_SCHEME)
    assert c["score"] is None and c["rank"] is None


def test_scores_and_ranks(november):
    rows = figures.unit_figures(NOV, now=NOW)
    scores.score_units(rows, scores.active_scheme(NOV.end))
    got = {r["code"]: (r["score"], r["rank"], r["rank_group"]) for r in rows}
    # A: (30×5/7 + 30×3/4 + 30×2/4) / 90 × 100 − 2 yellow − 3 × 1 red = 60.476...
    assert got["DEPT-A"] == (60.5, 2, "city")
    # B: 30×1 + 30×1/2 + 30×1/2 + 10×2/3 − 1 yellow = 65.67
    assert got["DEPT-B"] == (65.7, 1, "city")
    assert got["DEPT-C"] == (None, None, "city")
    assert got["D2"] == (100.0, 1, "local")
    assert got["D1"] == (None, None, "local")


def test_filters_by_area_and_category(november):
    a = by_code(figures.unit_figures(NOV, now=NOW, unit_code="DEPT-A", area_unit_id=_unit_id("D2")))["DEPT-A"]
    assert (a["received"], a["reply_assessed"], a["reply_on_time"], a["callbacks"], a["satisfied"]) == (1, 1, 1, 1, 1)
    b = by_code(figures.unit_figures(NOV, now=NOW, unit_code="DEPT-B", category_id=_category_id("SOC")))["DEPT-B"]
    assert (b["received"], b["reply_assessed"]) == (3, 4)  # T10 is MISC


def test_whole_city_total(november):
    total = figures.total_figures(NOV, now=NOW)
    assert total["received"] == 12  # 8 + 4 + 1, T5 once though two units held it
    assert total["reply_assessed"] == 7 + 5 + 1
    assert total["returned"] == 1


def test_centre(november):
    c = figures.centre_figures(NOV, now=NOW)
    assert c["received"] == 13  # T8 merged, T0 in October, T15 in December (local time)
    assert c["merged"] == 1
    assert c["answered_on_call"] == 1
    assert c["answered_on_call_rate"] == pytest.approx(1 / 13)
    assert c["dispatched"] == 12
    assert (c["first_dispatched"], c["dispatched_accurately"]) == (12, 11)  # T5 bounced
    assert c["first_dispatch_accuracy"] == pytest.approx(11 / 12)
    assert c["bounces"] == 1
    assert {r["key"]: r["count"] for r in c["by_channel"]} == {"phone": 12, "wechat": 1}
    assert {r["key"]: r["count"] for r in c["by_request_type"]} == {
        "complaint": 9,
        "help": 1,
        "suggestion": 2,
        "consultation": 1,
    }
    assert {r["key"]: r["count"] for r in c["by_area"]} == {"D1-T1": 11, "D2": 2}  # T2 and T14 in D2
    assert (c["received_previous"], c["received_year_before"]) == (1, 0)
    assert c["month_on_month"] == pytest.approx(12.0)
    assert c["year_on_year"] is None


def test_a_month_not_over_is_computed_as_of_now(november):
    a = by_code(figures.unit_figures(NOV, now=local(11, 23, 0), unit_code="DEPT-A"))["DEPT-A"]
    # By Nov 23 00:00: T0 T1 T2 T3 T3' T6 settled; T7 and T12 not yet due.
    assert (a["reply_assessed"], a["reply_on_time"], a["still_open"]) == (6, 5, 1)


def test_every_figure_has_a_definition():
    keys = set(figures.UNIT_FIGURES) | set(figures.UNIT_RATES) | set(figures.CENTRE_FIGURES)
    keys |= set(figures.CENTRE_RATES) | set(figures.ALIASES) | {"score", "rank", "month_on_month", "year_on_year"}
    assert keys <= set(DEFINITIONS), sorted(keys - set(DEFINITIONS))


def _unit_id(code):
    from hotline.units import queries

    return queries.get_by_code(code).id


def _category_id(code):
    from hotline.categories import queries

    return queries.get_by_code(code).id


def test_drill_down_lists_equal_the_counts(november):
    from hotline.reports import drill

    rows = figures.unit_figures(NOV, now=NOW)
    for row in rows:
        for key in figures.UNIT_FIGURES:
            stmt = drill.tickets_behind(key, "numerator", NOV, now=NOW, unit_code=row["code"])
            assert drill.count(stmt) == row[key], (row["code"], key)
        for name, (num, den) in figures.UNIT_RATES.items():
            for part, key in (("numerator", num), ("denominator", den)):
                stmt = drill.tickets_behind(name, part, NOV, now=NOW, unit_code=row["code"])
                assert drill.count(stmt) == row[key], (row["code"], name, part)
    centre = figures.centre_figures(NOV, now=NOW)
    for key in figures.CENTRE_FIGURES:
        assert drill.count(drill.tickets_behind(key, "numerator", NOV, now=NOW)) == centre[key], key
    total = figures.total_figures(NOV, now=NOW, level="city")
    for key in figures.UNIT_FIGURES:
        assert drill.count(drill.tickets_behind(key, "numerator", NOV, now=NOW, level="city")) == total[key], key


def test_drill_down_names_the_tickets(november):
    from hotline.extensions import db
    from hotline.reports import drill

    def numbers(figure, part="numerator", unit="DEPT-A"):
        stmt = drill.tickets_behind(figure, part, NOV, now=NOW, unit_code=unit)
        return sorted(t.number for t in db.session.scalars(stmt))

    t = november
    assert numbers("reply_overdue") == sorted([t["T3"], t["T12"]])
    assert numbers("replied_on_time_rate", "denominator") == sorted(
        [t[n] for n in ("T0", "T1", "T2", "T3", "T3", "T6", "T12")]
    )
    assert numbers("exempted") == [t["T7"]]
    assert numbers("redispatched", unit="DEPT-B") == [t["T5"]]
    assert numbers("accepted_on_time_rate", "numerator", unit="DEPT-B") == sorted([t["T13"], t["T13"]])


def test_drill_down_refuses_unknown_figures_and_parts(app_ctx):
    from hotline.core.errors import InvalidInput
    from hotline.reports import drill

    with pytest.raises(InvalidInput) as exc:
        drill.tickets_behind("nonsense", "numerator", NOV, now=NOW)
    assert exc.value.field == "figure" and exc.value.message_zh
    with pytest.raises(InvalidInput) as exc:
        drill.tickets_behind("received", "half", NOV, now=NOW)
    assert exc.value.field == "part"
