"""Shared helpers for the web pages."""

from __future__ import annotations

import functools

from flask import abort, flash
from flask_login import current_user, login_required

from ..core.errors import DomainError, InvalidInput
from ..core.validation import parse_int, validate_query


def role_required(predicate):
    """Sign-in required, then ``predicate(user)`` or 403."""

    def decorate(view):
        @functools.wraps(view)
        @login_required
        def wrapper(*args, **kwargs):
            if not predicate(current_user):
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorate


def form_data(form, *, ints=(), bools=(), lists=(), optional=()) -> dict:
    """Turn an HTML form into the dict the API's schemas validate.

    Text stays text (the schema trims and checks it); numbers and yes/no become int/bool
    when they look like one (otherwise the schema reports a clear error for the field);
    empty optional fields are left out.
    """
    data: dict = {}
    for key in form:
        if key == "csrf_token":
            continue
        if key in lists:
            data[key] = [v for v in form.getlist(key) if v]
            continue
        value = form.get(key, "")
        if key in optional and value.strip() == "":
            continue
        if key in ints:
            number = parse_int(value)
            data[key] = value if number is None else number
        elif key in bools:
            data[key] = {"true": True, "false": False}.get(value, value)
        else:
            data[key] = value
    return data


def field_errors(exc: DomainError) -> dict[str, str]:
    """The Chinese message of each wrong field, to show beside it (``keywords.2`` → ``keywords``)."""
    if exc.details:
        found: dict[str, str] = {}
        for d in exc.details:
            if d.get("field"):  # several problems of one field (the reply check's rules) are all said
                key = d["field"].split(".")[0]
                found[key] = f"{found[key]}；{d['message_zh']}" if key in found else d["message_zh"]
        return found
    return {exc.field: exc.message_zh} if exc.field else {}


def filters(schema, args):
    """A list page's filters from its query string, or None (with a message) when they are wrong."""
    try:
        return validate_query(schema, {k: v for k, v in args.items() if v != ""})
    except InvalidInput as exc:
        flash(f"筛选条件有误：{exc.message_zh}", "error")
        return None
