"""Request categories (诉求分类): the two-level tree and each category's default lead unit."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from ...categories import queries, schemas, services
from ...core import clock
from ...core.errors import DomainError
from ...core.validation import validate
from ...extensions import db
from ...units import queries as unit_queries
from . import admin_required, bp, changed, form_values, refused, render, search_text
from .units import tree

LABELS = {
    "code": "分类编码",
    "name": "分类名称",
    "parent": "上级分类",
    "default_lead_unit": "默认主办单位",
    "sort_order": "排序",
    "is_active": "状态",
}


def category_tree(categories) -> list[tuple[object, list]]:
    """Top-level categories, each with its children (in the order the intake form shows them)."""
    tops = [c for c in categories if c.parent_id is None]
    ids = {c.id for c in tops}
    children: dict[int, list] = {c.id: [] for c in tops}
    orphans = []
    for c in categories:
        if c.parent_id is not None:
            (children[c.parent_id] if c.parent_id in ids else orphans).append(c)
    return [(top, children[top.id]) for top in tops] + [(c, []) for c in orphans]


def _category(code: str):
    category = queries.get_by_code(code)
    if category is None:
        abort(404)
    return category


@bp.get("/categories")
@admin_required
def categories():
    q = search_text(request.args, 100)
    everything = queries.list_categories(include_inactive=True)
    if q:
        matching = [c for c in everything if q in c.name or q in c.full_name or q.lower() in c.code.lower()]
        shown = {c.id for c in matching} | {c.parent_id for c in matching if c.parent_id}
        everything = [c for c in everything if c.id in shown]
    return render("admin/categories.html", groups=category_tree(everything), q=q, total=len(everything))


def _form(category=None, *, errors=None, values=None, status=200):
    tops = [c for c in queries.list_categories(include_inactive=True) if c.parent_id is None]
    return render(
        "admin/category_form.html",
        status=status,
        category=category,
        tops=tops,
        units=tree(unit_queries.list_units()),
        errors=errors or {},
        values=values or {},
    )


@bp.get("/categories/new")
@admin_required
def new_category():
    return _form(values={"parent": request.args.get("parent", "")})


@bp.post("/categories/new")
@admin_required
def create_category():
    data = form_values(
        request.form, ("code", "name", "parent", "default_lead_unit", "sort_order"), ints=("sort_order",)
    )
    data = {k: v for k, v in data.items() if v != "" or k in ("code", "name")}
    try:
        payload = validate(schemas.CategoryCreateIn, data)
        category = services.create_category(
            actor=current_user,
            now=clock.now(),
            code=payload.code,
            name=payload.name,
            parent_code=payload.parent,
            default_lead_unit=payload.default_lead_unit,
            sort_order=payload.sort_order,
        )
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return _form(errors=refused(exc, LABELS), values=request.form.to_dict(), status=exc.status)
    flash(f"已新增分类：{category.full_name}。", "success")
    return redirect(url_for("web_admin.categories"), 303)


@bp.get("/categories/<code>/edit")
@admin_required
def edit_category(code):
    return _form(_category(code))


@bp.post("/categories/<code>/edit")
@admin_required
def update_category(code):
    """Name, default lead unit, order and the active flag (a disabled category leaves the intake form)."""
    category = _category(code)
    data = form_values(
        request.form,
        ("name", "default_lead_unit", "sort_order", "is_active"),
        ints=("sort_order",),
        bools=("is_active",),
        nullable=("default_lead_unit",),
    )
    try:
        payload = validate(schemas.CategoryUpdateIn, data)
        current = {
            "name": category.name,
            "default_lead_unit": category.default_lead_unit.code if category.default_lead_unit else None,
            "sort_order": category.sort_order,
            "is_active": category.is_active,
        }
        new = changed(current, payload.model_dump(include=set(data)))
        if new:
            services.update_category(category, actor=current_user, now=clock.now(), changes=new)
            db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return _form(_category(code), errors=refused(exc, LABELS), values=request.form.to_dict(), status=exc.status)
    flash("已保存。" if new else "没有修改。", "success" if new else "info")
    return redirect(url_for("web_admin.categories"), 303)
