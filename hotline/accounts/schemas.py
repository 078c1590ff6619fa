from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from ..core.validation import Code, Line, QuerySchema, Schema
from .models import ROLE_LABELS, ROLES, Role

RoleName = Literal[ROLES]  # type: ignore[valid-type]


class TokenIn(Schema):
    username: Line(64)
    password: str = Field(min_length=1, max_length=128)


class TokenOut(BaseModel):
    token: str
    token_type: str = "Bearer"
    expires_at: str
    user: UserOut


class UserOut(BaseModel):
    username: str
    display_name: str
    role: str
    role_label: str
    unit: str | None
    unit_name: str | None
    is_active: bool


class UserCreateIn(Schema):
    username: Line(64)
    password: str = Field(min_length=8, max_length=128)
    role: RoleName
    unit: Code | None = None
    display_name: Line(64) | None = None
    phone: Line(32) | None = None
    email: Line(254) | None = None


class UserUpdateIn(Schema):
    role: RoleName | None = None
    unit: Code | None = None
    display_name: Line(64) | None = None
    phone: Line(32) | None = None
    email: Line(254) | None = None
    is_active: bool | None = None
    password: str | None = Field(default=None, min_length=8, max_length=128)


class UserListQuery(QuerySchema):
    role: RoleName | None = None
    unit: Code | None = None


class UserListOut(BaseModel):
    items: list[UserOut]


TokenOut.model_rebuild()


def user_out(user) -> UserOut:
    return UserOut(
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        role_label=ROLE_LABELS[Role(user.role)],
        unit=user.unit.code if user.unit else None,
        unit_name=user.unit.name if user.unit else None,
        is_active=user.is_active,
    )
