"""Open311 接口密钥: the API keys of the client systems (city apps, civic tools) that create
tickets through Open311 GeoReport v2. A new key is shown once, on the page that made it;
only its hash is kept. Revoking takes effect at the client's next request."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, request, url_for
from flask_login import current_user

from ...citizens.open311 import keys
from ...citizens.open311.models import Open311Key
from ...citizens.open311.services import MAX_RANGE_DAYS, MAX_REQUESTS
from ...citizens.open311.views import LIMITS_PER_ADDRESS, LIMITS_PER_KEY
from ...core import clock
from ...core.errors import DomainError
from ...extensions import db
from . import admin_required, bp, refused, render

LABELS = {"name": "客户端名称"}


def _page(*, new_key=None, new_name=None, errors=None, values=None, status=200):
    return render(
        "admin/open311.html",
        status=status,
        items=keys.all_keys(),
        new_key=new_key,
        new_name=new_name,
        errors=errors or {},
        values=values or {},
        jurisdiction=current_app.config["OPEN311_JURISDICTION_ID"],
        endpoint=request.url_root.rstrip("/") + "/open311/v2",
        limits={
            "key_minute": LIMITS_PER_KEY[0].count,
            "key_day": LIMITS_PER_KEY[1].count,
            "address_minute": LIMITS_PER_ADDRESS[0].count,
            "max_requests": MAX_REQUESTS,
            "max_days": MAX_RANGE_DAYS,
        },
    )


@bp.get("/open311", endpoint="open311")
@admin_required
def list_keys():
    return _page()


@bp.post("/open311/keys")
@admin_required
def create_key():
    name = request.form.get("name", "")
    try:
        key, raw = keys.create_key(name, actor=current_user, now=clock.now())
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return _page(errors=refused(exc, LABELS), values={"name": name}, status=exc.status)
    return _page(new_key=raw, new_name=key.name)


@bp.post("/open311/keys/<int:key_id>/revoke")
@admin_required
def revoke_key(key_id):
    key = db.session.get(Open311Key, key_id)
    if key is None:
        abort(404)
    try:
        keys.revoke_key(key.name, actor=current_user, now=clock.now())
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message_zh, "error")
        return redirect(url_for("web_admin.open311"), 303)
    flash(f"已吊销“{key.name}”的密钥，该客户端此后的提交将被拒绝。", "success")
    return redirect(url_for("web_admin.open311"), 303)
