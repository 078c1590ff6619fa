"""Reading the knowledge base: one article, lists with filters, flags, synonyms, review dates."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, or_, select

from hotline.categories.models import Category
from hotline.core.db import escape_like
from hotline.core.errors import NotFound
from hotline.extensions import db
from hotline.units.models import Unit

from . import permissions
from .models import Article, ArticleVersion, Flag, Status, SynonymGroup


def _not_found(article_id) -> NotFound:
    return NotFound(f"No article {article_id}.", message_zh="知识条目不存在。")


def get_visible_or_404(article_id: int, viewer) -> Article:
    """The article if ``viewer`` may see it; 404 otherwise (a draft does not exist for operators)."""
    article = db.session.get(Article, article_id)
    if article is None or not permissions.can_view(viewer, article):
        raise _not_found(article_id)
    return article


def published_by_id(article_ids: list[int]) -> dict[int, Article]:
    """The published ones of these articles, by id, in one query (search results' bodies)."""
    if not article_ids:
        return {}
    stmt = select(Article).where(Article.id.in_(article_ids), Article.status == Status.PUBLISHED)
    return {a.id: a for a in db.session.scalars(stmt)}


def versions(article: Article) -> list[ArticleVersion]:
    stmt = select(ArticleVersion).where(ArticleVersion.article_id == article.id).order_by(ArticleVersion.version)
    return list(db.session.scalars(stmt))


def list_articles(
    *,
    status: str | None = None,
    category: str | None = None,
    owner_unit: str | None = None,
    text: str | None = None,
    page: int = 1,
    per_page: int = 20,
) -> tuple[list[Article], int]:
    """A page of articles, newest change first, and the total. ``status=None`` means any."""
    stmt = select(Article)
    if status:
        stmt = stmt.where(Article.status == status)
    if category:
        ids = select(Category.id).where(or_(Category.code == category, Category.code.startswith(category + ".")))
        stmt = stmt.where(Article.category_id.in_(ids))
    if owner_unit:
        stmt = stmt.where(Article.owner_unit_id.in_(select(Unit.id).where(Unit.code == owner_unit)))
    if text:
        pattern = f"%{escape_like(text)}%"
        stmt = stmt.where(or_(Article.title.like(pattern, escape="\\"), Article.external_id.like(pattern, escape="\\")))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.session.scalars(
        stmt.order_by(Article.updated_at.desc(), Article.id.desc()).limit(per_page).offset((page - 1) * per_page)
    )
    return list(rows), total


def due_for_review(today: date, *, owner_unit: str | None = None) -> list[Article]:
    """Published articles past their review-by date, oldest date first.

    "Past" is strict: an article whose review-by date is ``today`` (the centre's local date)
    is still within its date and is due from the next day on. The list for editors, the
    hourly flagging and its messages all select through here, so they agree.
    """
    stmt = select(Article).where(Article.status == Status.PUBLISHED, Article.review_by < today)
    if owner_unit:
        stmt = stmt.where(Article.owner_unit_id.in_(select(Unit.id).where(Unit.code == owner_unit)))
    return list(db.session.scalars(stmt.order_by(Article.review_by, Article.id)))


def get_flag_or_404(flag_id: int) -> Flag:
    item = db.session.get(Flag, flag_id)
    if item is None:
        raise NotFound(f"No flag {flag_id}.", message_zh="纠错记录不存在。")
    return item


def list_flags(*, status: str | None = "open", article_id: int | None = None) -> list[Flag]:
    stmt = select(Flag)
    if status:
        stmt = stmt.where(Flag.status == status)
    if article_id is not None:
        stmt = stmt.where(Flag.article_id == article_id)
    return list(db.session.scalars(stmt.order_by(Flag.created_at.desc(), Flag.id.desc()).limit(500)))


def list_synonyms() -> list[SynonymGroup]:
    return list(db.session.scalars(select(SynonymGroup).order_by(SynonymGroup.id)))


def get_synonyms_or_404(group_id: int) -> SynonymGroup:
    group = db.session.get(SynonymGroup, group_id)
    if group is None:
        raise NotFound(f"No synonym group {group_id}.", message_zh="同义词组不存在。")
    return group
