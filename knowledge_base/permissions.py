"""Who may do what in the knowledge base. Named predicates, tested for every role.

Search and reading of published articles: the roles that talk to citizens or oversee
them (operator, dispatcher, supervisor) plus editors and admins. Unit staff work their
tickets elsewhere and are refused. Drafts, articles in review and retired articles are
seen by editors and admins only.
"""

from __future__ import annotations

from hotline.accounts.models import Role

from .models import Status

READER_ROLES = frozenset({Role.OPERATOR, Role.DISPATCHER, Role.SUPERVISOR, Role.KB_EDITOR, Role.ADMIN})
EDITOR_ROLES = frozenset({Role.KB_EDITOR, Role.ADMIN})


def can_search(user) -> bool:
    return user is not None and user.role in READER_ROLES


def can_edit(user) -> bool:
    """Write articles, submit, retire, maintain synonyms and flags; see every status."""
    return user is not None and user.role in EDITOR_ROLES


def can_view(user, article) -> bool:
    if can_edit(user):
        return True
    return can_search(user) and article.status == Status.PUBLISHED


def can_publish(user, article) -> bool:
    """Another editor publishes: the article's author or submitter may not, unless admin."""
    if not can_edit(user):
        return False
    if user.role == Role.ADMIN:
        return True
    return user.id not in (article.created_by_id, article.submitted_by_id)


def can_flag(user, article) -> bool:
    """纠错: anyone who reads an article may say it is wrong or outdated."""
    return can_search(user) and article.status == Status.PUBLISHED


def can_filter_status(user) -> bool:
    return can_edit(user)
