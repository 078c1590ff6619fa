from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from ..core.validation import clean_error_zh, clean_line


def _clean_line(form, field) -> None:
    """The sign-in name reaches a query as it is typed: a NUL or a control character
    is refused here, with the form shown again, before PostgreSQL would fail on it."""
    try:
        clean_line(field.data or "")
    except ValueError as exc:
        raise ValidationError(clean_error_zh(str(exc))) from exc


class LoginForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired("请输入用户名"), Length(max=64), _clean_line])
    password = PasswordField("密码", validators=[DataRequired("请输入密码"), Length(max=128)])
