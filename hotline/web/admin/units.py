"""Units (成员单位): the hierarchy, contacts and the active flag."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from ...accounts import permissions
from ...core import clock
from ...core.errors import DomainError, InvalidInput
from ...core.validation import validate
from ...extensions import db
from ...notifications import permissions as notify_permissions
from ...notifications import schemas as notify_schemas
from ...notifications import services as notify_services
from ...units import queries, schemas, services
from ...units.models import LEVEL_LABELS, LEVEL_RANK, Level
from . import admin_required, bp, changed, form_values, refused, render, search_text

LABELS = {
    "code": "单位编码",
    "name": "单位名称",
    "level": "层级",
    "parent": "上级单位",
    "contact_phone": "联系电话",
    "is_active": "状态",
    "notify_phone": "通知手机",
    "notify_email": "通知邮箱",
    "head_name": "负责人",
    "head_phone": "负责人手机",
}
CONTACTS = ("notify_phone", "notify_email", "head_name", "head_phone")


def tree(units) -> list[tuple[object, int]]:
    """``units`` in the hierarchy's order (each under its parent), with their depth; a
    unit whose parent is not among them starts a branch of its own."""
    ids = {u.id for u in units}
    children: dict[int | None, list] = {}
    for unit in units:
        children.setdefault(unit.parent_id if unit.parent_id in ids else None, []).append(unit)
    ordered: list[tuple[object, int]] = []

    def walk(parent_id, depth):
        for unit in sorted(children.get(parent_id, []), key=lambda u: (LEVEL_RANK[Level(u.level)], u.code)):
            ordered.append((unit, depth))
            walk(unit.id, depth + 1)

    walk(None, 0)
    return ordered


def _unit(code: str):
    unit = queries.get_by_code(code)
    if unit is None:
        abort(404)
    return unit


def _parents(exclude=None):
    return [u for u, _ in tree(queries.list_units()) if exclude is None or u.id != exclude.id]


@bp.get("/units")
@admin_required
def units():
    q = search_text(request.args, 100)
    level = request.args.get("level") if request.args.get("level") in LEVEL_LABELS else None
    state = request.args.get("state", "")
    active = {"active": True, "inactive": False}.get(state)
    found = queries.search_units(q=q or None, level=level, active=active)
    rows = tree(found) if not (q or level) else [(u, 0) for u in found]
    return render(
        "admin/units.html",
        rows=rows,
        q=q,
        level=level,
        state=state,
        levels={k.value: v for k, v in LEVEL_LABELS.items()},
    )


def _unit_form(unit=None, *, errors=None, values=None, status=200):
    return render(
        "admin/unit_form.html",
        status=status,
        unit=unit,
        parents=_parents(unit),
        levels={k.value: v for k, v in LEVEL_LABELS.items()},
        errors=errors or {},
        values=values or {},
    )


@bp.get("/units/new")
@admin_required
def new_unit():
    return _unit_form()


@bp.post("/units/new")
@admin_required
def create_unit():
    data = form_values(request.form, ("code", "name", "level", "parent", "contact_phone"))
    data = {k: v for k, v in data.items() if v != "" or k in ("code", "name", "level")}
    try:
        payload = validate(schemas.UnitCreateIn, data)
        unit = services.create_unit(
            actor=current_user,
            now=clock.now(),
            code=payload.code,
            name=payload.name,
            level=payload.level,
            parent_code=payload.parent,
            contact_phone=payload.contact_phone,
        )
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return _unit_form(errors=refused(exc, LABELS), values=request.form.to_dict(), status=exc.status)
    flash(f"已新增单位：{unit.name}。", "success")
    return redirect(url_for("web_admin.edit_unit", code=unit.code), 303)


@bp.get("/units/<code>/edit")
@admin_required
def edit_unit(code):
    return _unit_form(_unit(code))


@bp.post("/units/<code>/edit")
@admin_required
def update_unit(code):
    unit = _unit(code)
    data = form_values(request.form, ("name", "parent", "contact_phone"), nullable=("parent", "contact_phone"))
    try:
        payload = validate(schemas.UnitUpdateIn, data)
        current = {
            "name": unit.name,
            "parent": unit.parent.code if unit.parent else None,
            "contact_phone": unit.contact_phone,
        }
        new = changed(current, payload.model_dump(include=set(data)))
        if new:
            services.update_unit(unit, actor=current_user, now=clock.now(), changes=new)
            db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return _unit_form(_unit(code), errors=refused(exc, LABELS), values=request.form.to_dict(), status=exc.status)
    flash("已保存。" if new else "没有修改。", "success" if new else "info")
    return redirect(url_for("web_admin.edit_unit", code=code), 303)


@bp.post("/units/<code>/contacts")
@admin_required
def update_unit_contacts(code):
    """Where the unit's messages go and who its head is (notifications' own service)."""
    if not notify_permissions.can_manage_unit_contacts(current_user):
        abort(403)
    unit = _unit(code)
    data = form_values(request.form, CONTACTS, nullable=CONTACTS)
    try:
        payload = validate(notify_schemas.UnitContactsIn, data)
        new = changed({f: getattr(unit, f) for f in CONTACTS}, payload.model_dump(include=set(data)))
        if new:
            notify_services.set_unit_contacts(unit, actor=current_user, now=clock.now(), changes=new)
            db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return _unit_form(_unit(code), errors=refused(exc, LABELS), values=request.form.to_dict(), status=exc.status)
    flash("已保存通知联系人。" if new else "没有修改。", "success" if new else "info")
    return redirect(url_for("web_admin.edit_unit", code=code), 303)


@bp.post("/units/<code>/active")
@admin_required
def set_unit_active(code):
    """Deactivate (after the page's confirmation) or reactivate a unit."""
    if not permissions.can_manage_units(current_user):
        abort(403)
    unit = _unit(code)
    try:
        payload = validate(schemas.UnitUpdateIn, form_values(request.form, ("is_active",), bools=("is_active",)))
        if payload.is_active is None:
            raise InvalidInput("is_active is required.", message_zh="请选择启用或停用。", field="is_active")
        if payload.is_active != unit.is_active:
            services.update_unit(unit, actor=current_user, now=clock.now(), changes={"is_active": payload.is_active})
            db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return _unit_form(_unit(code), errors=refused(exc, LABELS), status=exc.status)
    flash(f"已{'启用' if unit.is_active else '停用'}单位：{unit.name}。", "success")
    return redirect(url_for("web_admin.edit_unit", code=code), 303)
