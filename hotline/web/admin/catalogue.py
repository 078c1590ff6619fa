"""The dispatch catalogue (派单目录): rules as data, each with its basis, effective dates and
every past version (admins). Dispatch proposes the rule's units first."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from ...categories import queries as category_queries
from ...core import clock
from ...core.errors import DomainError, NotFound
from ...core.validation import validate
from ...extensions import db
from ...routing import catalogue, schemas
from ...units import queries as unit_queries
from ...units.models import Level
from . import admin_required, bp, render
from .units import tree

LABELS = {
    "category": "诉求分类",
    "area": "区域",
    "keywords": "关键词",
    "lead_unit": "主办单位",
    "assist_units": "协办单位",
    "basis": "职责依据",
    "effective_from": "生效日期",
    "effective_to": "失效日期",
    "is_active": "状态",
}


def _rule(rule_id: int):
    try:
        return catalogue.get(rule_id)
    except NotFound:
        abort(404)


@bp.get("/catalogue")
@admin_required
def catalogue_rules():
    today = clock.local(clock.now()).date()
    names = {u.code: u.name for u in unit_queries.list_units(include_inactive=True)}
    return render("admin/catalogue.html", rules=catalogue.list_rules(), today=today, labels=LABELS, names=names)


def _form(rule=None, *, errors=None, values=None, status=200):
    units = unit_queries.list_units()
    return render(
        "admin/catalogue_form.html",
        status=status,
        rule=rule,
        current=catalogue.values_of(rule) if rule is not None else {},
        categories=category_queries.list_categories(),
        units=tree(units),
        areas=[u for u in units if u.level in (Level.DISTRICT, Level.TOWN)],
        errors=errors or {},
        values=values or {},
    )


def _submitted(form) -> dict:
    data = {k: form.get(k, "").strip() for k in ("category", "area", "keywords", "lead_unit", "basis")}
    data["assist_units"] = [v for v in form.getlist("assist_units") if v]
    data["effective_from"] = form.get("effective_from", "").strip()
    data["effective_to"] = form.get("effective_to", "").strip() or None
    data["is_active"] = form.get("is_active", "true") != "false"
    for key in ("area", "keywords"):
        if not data[key]:
            data[key] = None
    return data


def _refused(exc: DomainError) -> dict:
    from . import refused

    return refused(exc, LABELS)


@bp.get("/catalogue/new")
@admin_required
def new_catalogue_rule():
    return _form(values={"effective_from": clock.local(clock.now()).date().isoformat()})


@bp.post("/catalogue/new")
@admin_required
def create_catalogue_rule():
    try:
        payload = validate(schemas.CatalogueRuleIn, _submitted(request.form))
        rule = catalogue.create_rule(actor=current_user, now=clock.now(), values=payload.model_dump())
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return _form(errors=_refused(exc), values=request.form.to_dict(), status=exc.status)
    flash(f"已新增派单目录条目（{rule.category.full_name} → {rule.lead_unit.name}）。", "success")
    return redirect(url_for("web_admin.catalogue_rules"), 303)


@bp.get("/catalogue/<int:rule_id>/edit")
@admin_required
def edit_catalogue_rule(rule_id):
    return _form(_rule(rule_id))


@bp.post("/catalogue/<int:rule_id>/edit")
@admin_required
def update_catalogue_rule(rule_id):
    rule = _rule(rule_id)
    try:
        payload = validate(schemas.CatalogueRuleIn, _submitted(request.form))
        changed = catalogue.update_rule(rule, actor=current_user, now=clock.now(), values=payload.model_dump())
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return _form(_rule(rule_id), errors=_refused(exc), values=request.form.to_dict(), status=exc.status)
    flash(f"已保存（第 {rule.version} 版）。" if changed else "没有修改。", "success" if changed else "info")
    return redirect(url_for("web_admin.catalogue_history", rule_id=rule_id), 303)


@bp.get("/catalogue/<int:rule_id>/history")
@admin_required
def catalogue_history(rule_id):
    """Every version of a rule, newest first; ``?version=N`` shows that version whole."""
    rule = _rule(rule_id)
    versions = catalogue.versions(rule)
    shown = None
    raw = request.args.get("version", "")
    if raw:
        shown = next((v for v in versions if str(v.version) == raw), None)
        if shown is None:
            abort(404)
    names = {u.code: u.name for u in unit_queries.list_units(include_inactive=True)}
    categories = {c.code: c.full_name for c in category_queries.list_categories(include_inactive=True)}
    return render(
        "admin/catalogue_history.html",
        rule=rule,
        versions=versions,
        shown=shown,
        labels=LABELS,
        names=names,
        categories=categories,
    )
