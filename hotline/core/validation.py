"""Input validation with pydantic: strict schemas, clean text, and JSON bodies.

Every schema forbids unknown fields and does not coerce types: ``"5"`` is not an
integer and ``"yes"`` is not a boolean. Every string is checked for NUL bytes, lone
surrogates and control characters (PostgreSQL rejects NUL where SQLite stores it, so
the same request would be a 400 on one and a 500 on the other).
"""

from __future__ import annotations

import json
import re
import typing
from typing import Annotated, Any, TypeVar

from flask import request
from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints
from pydantic import ValidationError as PydanticValidationError

from .errors import BadRequest, InvalidInput, NotFound
from .field_labels import field_label

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("must be valid Unicode text (lone surrogate found)") from exc
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


def clean_line(value: str) -> str:
    value = clean_text(value)
    if "\n" in value or "\r" in value:
        raise ValueError("must be a single line")
    return value


def Text(max_length: int, min_length: int = 1):
    """Multi-line text, whitespace-stripped, between min_length and max_length characters."""
    return Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length),
        AfterValidator(clean_text),
    ]


def Line(max_length: int, min_length: int = 1):
    """A single line of text."""
    return Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length),
        AfterValidator(clean_line),
    ]


Code = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$"),
]


class Schema(BaseModel):
    """Base for request bodies: unknown fields are refused, types are not coerced."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class QuerySchema(BaseModel):
    """Base for query strings: values arrive as text and are converted."""

    model_config = ConfigDict(extra="forbid", strict=False, frozen=True)


S = TypeVar("S", bound=BaseModel)

# Chinese messages for pydantic's error types, shown on the web pages.
_ZH = {
    "missing": "此项必填",
    "extra_forbidden": "不支持的字段",
    "string_too_short": "不能为空",
    "string_too_long": "内容过长（最多 {max_length} 个字）",
    "string_type": "应为文本",
    "string_pattern_mismatch": "格式不正确",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "greater_than": "应大于 {gt}",
    "less_than": "应小于 {lt}",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "greater_than_equal": "不能小于 {ge}",
    "less_than_equal": "不能大于 {le}",
    "literal_error": "取值不在允许范围内",
    "enum": "取值不在允许范围内",
    "list_type": "应为列表",
    "too_long": "项目过多（最多 {max_length} 项）",
    "value_error": "内容不合法",
}


def _field_name(loc: tuple) -> str:
    return ".".join(str(part) for part in loc) if loc else ""


# Chinese for the messages of clean_text and clean_line (pydantic's value_error).
_ZH_VALUE_ERRORS = {
    "must not contain NUL characters": "含有非法字符（NUL），请删除后重试",
    "must be valid Unicode text (lone surrogate found)": "含有无效字符，请重新输入",
    "must not contain control characters": "含有非法控制字符，请删除后重试",
    "must be a single line": "只能填写一行",
}


# Chinese for the messages of phones.normalise (InvalidPhone), by their beginning.
_ZH_PHONE = "号码格式不正确：手机 11 位，固话带区号（如 0757-83031234）"
_PHONE_ERRORS = (
    "phone number",
    "not a phone number",
    "not a valid mainland China",
    "only mainland China numbers",
)


def clean_error_zh(message: str) -> str:
    """The Chinese for a ValueError of clean_text, clean_line or a phone number (its
    message, in English)."""
    message = message.removeprefix("Value error, ")
    if message.startswith(_PHONE_ERRORS):
        return _ZH_PHONE
    return _ZH_VALUE_ERRORS.get(message, _ZH["value_error"])


def _message_zh(error: dict) -> str:
    if error["type"] == "value_error":
        return clean_error_zh(error["msg"])
    template = _ZH.get(error["type"], "内容不合法")
    try:
        return template.format(**(error.get("ctx") or {}))
    except (KeyError, IndexError):
        return template


def to_invalid_input(exc: PydanticValidationError) -> InvalidInput:
    details = []
    for error in exc.errors(include_url=False, include_input=False):
        message = error["msg"]
        if error["type"] == "value_error":
            message = message.removeprefix("Value error, ")
        details.append(
            {
                "field": _field_name(error["loc"]),
                "code": error["type"],
                "message": message,
                "message_zh": _message_zh(error),
            }
        )
    first = details[0]
    return InvalidInput(
        f"{first['field'] or 'body'}: {first['message']}",
        message_zh=f"{field_label(first['field'])}：{first['message_zh']}" if first["field"] else first["message_zh"],
        code="validation_error",
        field=first["field"] or None,
        details=details,
    )


def validate(schema: type[S], data: Any) -> S:
    try:
        return schema.model_validate(data)
    except PydanticValidationError as exc:
        raise to_invalid_input(exc) from None


def parse_json_body(raw: bytes, *, allow_empty: bool = False) -> dict:
    """Decode a request body into a JSON object, with a clear 400 for each failure."""
    if not raw.strip():
        if allow_empty:
            return {}
        raise BadRequest(
            "The request body must be a JSON object.",
            message_zh="请求内容必须是 JSON 对象。",
            code="empty_body",
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(
            f"The request body is not valid UTF-8 (byte {exc.start}).",
            message_zh="请求内容不是有效的 UTF-8 编码。",
            code="invalid_utf8",
        ) from None
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise BadRequest(
            f"The request body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}.",
            message_zh="请求内容不是有效的 JSON。",
            code="invalid_json",
        ) from None
    except RecursionError:
        raise BadRequest(
            "The request body is not acceptable JSON: it is nested too deeply.",
            message_zh="请求内容不是有效的 JSON（嵌套过深）。",
            code="invalid_json",
        ) from None
    except ValueError as exc:  # an integer of more than 4,300 digits, NaN or Infinity
        raise BadRequest(
            f"The request body is not acceptable JSON: {str(exc)[:120]}",
            message_zh="请求内容不是有效的 JSON（数值不合法）。",
            code="invalid_json",
        ) from None
    if not isinstance(data, dict):
        raise BadRequest(
            "The request body must be a JSON object.",
            message_zh="请求内容必须是 JSON 对象。",
            code="not_an_object",
        )
    return data


def _refuse_constant(name: str):
    """``NaN``, ``Infinity`` and ``-Infinity`` are not JSON (RFC 8259), though Python reads them."""
    raise ValueError(f"{name} is not a JSON number")


# Integers from forms, query strings and paths: ASCII digits only (``str.isdigit()`` is true
# for "²", which int() refuses), and at most 18 of them, so every one fits a BIGINT and no
# int() of thousands of digits is ever attempted.
_INTEGER = re.compile(r"-?[0-9]{1,18}")


def parse_int(value: object, *, minimum: int | None = None, maximum: int | None = None) -> int | None:
    """The integer a form field, query parameter or path segment spells, or None.

    Leading and trailing spaces are allowed; anything else (a sign of its own, ``²``,
    full-width digits, ``1e3``, 19 digits or more) is not an integer here, and neither is a
    value outside ``minimum``..``maximum``. The one integer parser for text from a request.
    """
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    if isinstance(value, str):
        text = value.strip()
        if not _INTEGER.fullmatch(text):
            return None
        value = int(text)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        return None
    return value


def _is_int_field(annotation) -> bool:
    if annotation is int:
        return True
    args = typing.get_args(annotation)
    return int in args and all(a is int or a is type(None) for a in args)


def validate_query(schema: type[S], data: dict[str, Any]) -> S:
    """Validate a query string's values (text): integer fields go through :func:`parse_int`
    (pydantic alone would take "1_0" or "3.0"); the rest is the schema's."""
    converted = dict(data)
    for name, field in schema.model_fields.items():
        value = data.get(name)
        if isinstance(value, str) and _is_int_field(field.annotation):
            number = parse_int(value)
            if number is None:
                raise InvalidInput(
                    f"{name}: Input should be a valid integer",
                    message_zh=f"{name}：{_ZH['int_parsing']}",
                    code="validation_error",
                    field=name,
                    details=[
                        {
                            "field": name,
                            "code": "int_parsing",
                            "message": "Input should be a valid integer",
                            "message_zh": _ZH["int_parsing"],
                        }
                    ],
                )
            converted[name] = number
    return validate(schema, converted)


def parse_query(schema: type[S], args) -> S:
    """Validate a query string (a MultiDict); repeated parameters are refused."""
    data: dict[str, Any] = {}
    for key in args:
        values = args.getlist(key)
        if len(values) > 1:
            raise InvalidInput(
                f"{key}: give this parameter once",
                message_zh=f"{key}：参数重复",
                field=key,
                code="validation_error",
            )
        data[key] = values[0]
    return validate_query(schema, data)


def refuse_nul_in_path() -> None:
    """Before every request: a path segment with a NUL (the ticket number in
    ``/tickets/<number>``) names nothing, so it is a 404 for every route alike.

    Bodies, query strings and form fields go through the schemas (or, for the sign-in
    name, the form's own validator), which refuse NUL with the field named and the form
    shown again; path segments reach queries without one, and PostgreSQL fails on NUL
    where SQLite compares.
    """
    for name, value in (request.view_args or {}).items():
        if isinstance(value, str) and "\x00" in value:
            raise NotFound(
                f"Nothing is found by a {name} that contains a NUL character.",
                message_zh="页面或资源不存在。",
                field=name,
            )
