"""Users: create, role and unit, disable, reset a password, lift a sign-in lock."""

from __future__ import annotations

import re

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from ...accounts import queries, schemas, services
from ...accounts.models import ROLE_LABELS, Role
from ...core import clock
from ...core.errors import DomainError, InvalidInput
from ...core.validation import validate
from ...extensions import db
from ...units import queries as unit_queries
from . import admin_required, bp, changed, form_values, refused, render, search_text
from .units import tree

LABELS = {
    "username": "登录名",
    "password": "密码",
    "role": "角色",
    "unit": "所属单位",
    "display_name": "姓名",
    "phone": "手机",
    "email": "邮箱",
    "is_active": "状态",
}
PER_PAGE = 100
UNIT_CODE = re.compile(r"[A-Za-z0-9_.-]{1,64}")
PROFILE = ("role", "unit", "display_name", "phone", "email")


def _user(username: str):
    user = queries.get_by_username(username)
    if user is None:
        abort(404)
    return user


def _roles() -> dict[str, str]:
    return {k.value: v for k, v in ROLE_LABELS.items()}


def _without_stray_unit(data: dict) -> dict:
    """Only unit staff belong to a unit: a unit left chosen in the form for another role is
    ignored (the form says so), not refused."""
    if "role" in data and data["role"] != Role.UNIT_STAFF and "unit" in data:
        return data | {"unit": None}
    return data


@bp.get("/users")
@admin_required
def users():
    q = search_text(request.args, 64)
    role = request.args.get("role") if request.args.get("role") in _roles() else None
    unit = request.args.get("unit") or None
    if unit is not None and not UNIT_CODE.fullmatch(unit):
        unit = "-"  # no unit has such a code: nothing matches
    state = request.args.get("state", "")
    active = {"active": True, "inactive": False, "locked": None}.get(state)
    now = clock.now()
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and 0 < int(page) < 100_000 else 1
    if state == "locked":  # locks are few and live outside the users' table: filtered here
        found = queries.search_users(q=q or None, role=role, unit_code=unit)
        locked = services.locked_usernames(found, now)
        found = [u for u in found if u.username in locked]
        total, found = len(found), found[(page - 1) * PER_PAGE : page * PER_PAGE]
    else:
        found, total = queries.search_users(
            q=q or None, role=role, unit_code=unit, active=active, page=page, per_page=PER_PAGE
        )
        locked = services.locked_usernames(found, now)
    return render(
        "admin/users.html",
        rows=[(u, u.username in locked) for u in found],
        total=total,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        q=q,
        role=role,
        unit=unit,
        state=state,
        roles=_roles(),
        units=[u for u, _ in tree(unit_queries.list_units())],
    )


def _user_form(user=None, *, errors=None, values=None, status=200):
    return render(
        "admin/user_form.html",
        status=status,
        user=user,
        locked=user is not None and services.is_locked(user, clock.now()),
        roles=_roles(),
        units=tree(unit_queries.list_units()),
        errors=errors or {},
        values=values or {},
    )


@bp.get("/users/new")
@admin_required
def new_user():
    return _user_form()


@bp.post("/users/new")
@admin_required
def create_user():
    data = form_values(request.form, ("username", "password", "role", "unit", "display_name", "phone", "email"))
    data = {k: v for k, v in data.items() if v != "" or k in ("username", "password", "role")}
    data = {k: v for k, v in _without_stray_unit(data).items() if v is not None}
    values = {k: v for k, v in request.form.to_dict().items() if k != "password"}  # never sent back
    try:
        payload = validate(schemas.UserCreateIn, data)
        user = services.create_user(
            actor=current_user,
            now=clock.now(),
            username=payload.username,
            password=payload.password,
            role=payload.role,
            unit_code=payload.unit,
            display_name=payload.display_name,
            phone=payload.phone,
            email=payload.email,
        )
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return _user_form(errors=refused(exc, LABELS), values=values, status=exc.status)
    flash(f"已新增用户：{user.display_name}。", "success")
    return redirect(url_for("web_admin.edit_user", username=user.username), 303)


@bp.get("/users/<username>/edit")
@admin_required
def edit_user(username):
    return _user_form(_user(username))


@bp.post("/users/<username>/edit")
@admin_required
def update_user(username):
    """Role, unit, name and contacts. A new role or unit ends the user's sessions (the service's rule)."""
    user = _user(username)
    data = _without_stray_unit(form_values(request.form, PROFILE, nullable=("unit", "phone", "email")))
    try:
        payload = validate(schemas.UserUpdateIn, data)
        current = {
            "role": user.role,
            "unit": user.unit.code if user.unit else None,
            "display_name": user.display_name,
            "phone": user.phone,
            "email": user.email,
        }
        new = changed(current, payload.model_dump(include=set(data)))
        if new:
            services.update_user(user, actor=current_user, now=clock.now(), changes=new)
            db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return _user_form(
            _user(username), errors=refused(exc, LABELS), values=request.form.to_dict(), status=exc.status
        )
    flash("已保存。" if new else "没有修改。", "success" if new else "info")
    return redirect(url_for("web_admin.edit_user", username=username), 303)


@bp.post("/users/<username>/active")
@admin_required
def set_user_active(username):
    """Disable (after the page's confirmation: the user is signed out at once) or enable."""
    user = _user(username)
    try:
        payload = validate(schemas.UserUpdateIn, form_values(request.form, ("is_active",), bools=("is_active",)))
        if payload.is_active is None:
            raise InvalidInput("is_active is required.", message_zh="请选择启用或停用。", field="is_active")
        if user.id == current_user.id and not payload.is_active:
            raise InvalidInput(
                "Admins cannot disable themselves.", message_zh="不能停用自己的账号。", field="is_active"
            )
        if payload.is_active != user.is_active:
            services.update_user(user, actor=current_user, now=clock.now(), changes={"is_active": payload.is_active})
            db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return _user_form(_user(username), errors=refused(exc, LABELS), status=exc.status)
    flash(f"已{'启用' if user.is_active else '停用'}用户：{user.display_name}。", "success")
    return redirect(url_for("web_admin.edit_user", username=username), 303)


@bp.post("/users/<username>/password")
@admin_required
def reset_password(username):
    """Set a new password (the user's sessions end; the sign-in lock is lifted with it)."""
    user = _user(username)
    try:
        payload = validate(schemas.UserUpdateIn, form_values(request.form, ("password",)))
        if payload.password is None:
            raise InvalidInput("password is required.", message_zh="此项必填", field="password")
        services.update_user(user, actor=current_user, now=clock.now(), changes={"password": payload.password})
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return _user_form(_user(username), errors=refused(exc, LABELS), status=exc.status)
    flash(f"已重置 {user.display_name} 的密码，请将新密码告知本人。", "success")
    return redirect(url_for("web_admin.edit_user", username=username), 303)


@bp.post("/users/<username>/unlock")
@admin_required
def unlock_user(username):
    """Lift a sign-in lock (too many wrong passwords) before it runs out."""
    user = _user(username)
    services.unlock(user, actor=current_user, now=clock.now())
    db.session.commit()
    flash(f"已解除 {user.display_name} 的登录锁定。", "success")
    return redirect(url_for("web_admin.edit_user", username=username), 303)
