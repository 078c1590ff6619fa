"""The article workflow as a table: (status, action) → status. Pure Python."""

from __future__ import annotations

from .models import Status

S = Status

TRANSITIONS: dict[tuple[str, str], str] = {
    (S.DRAFT, "update"): S.DRAFT,
    (S.IN_REVIEW, "update"): S.IN_REVIEW,
    (S.PUBLISHED, "update"): S.PUBLISHED,
    (S.DRAFT, "submit"): S.IN_REVIEW,
    (S.IN_REVIEW, "publish"): S.PUBLISHED,
    (S.IN_REVIEW, "return"): S.DRAFT,
    (S.DRAFT, "retire"): S.RETIRED,
    (S.IN_REVIEW, "retire"): S.RETIRED,
    (S.PUBLISHED, "retire"): S.RETIRED,
}

ACTIONS = ("update", "submit", "publish", "return", "retire")


def next_status(status: str, action: str) -> str | None:
    """The status after ``action``, or None when the action is not allowed from ``status``."""
    result = TRANSITIONS.get((Status(status), action))
    return None if result is None else str(result)


def allowed_actions(status: str) -> list[str]:
    return [action for action in ACTIONS if (Status(status), action) in TRANSITIONS]
