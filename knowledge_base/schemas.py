"""Request and response models of the knowledge-base API."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from hotline.core import clock
from hotline.core.validation import Code, Line, QuerySchema, Schema, Text

from . import states
from .models import FLAG_KIND_LABELS, STATUS_LABELS, STATUSES, FlagKind, Status

StatusName = Literal[STATUSES]  # type: ignore[valid-type]
Day = Annotated[date, Field(strict=False, description="YYYY-MM-DD")]
Keyword = Line(40)
QueryText = Annotated[str, Field(max_length=2000)]


# --- search ------------------------------------------------------------------------------


class SearchQuery(QuerySchema):
    q: QueryText = Field(default="", description="the citizen's question, as typed (up to 2,000 characters)")
    limit: int = Field(default=10, ge=1, le=50)
    category: Code | None = Field(default=None, description="a category code; its sub-categories match too")
    owner_unit: Code | None = Field(default=None, description="the owning unit's code")
    status: StatusName | None = Field(default=None, description="editors only; default published")


class SuggestQuery(QuerySchema):
    text: QueryText = Field(default="", description="the ticket's content so far")
    limit: int = Field(default=5, ge=1, le=20)


# As long as the longest ticket content (hotline.tickets.schemas.MAX_CONTENT; a test keeps
# them equal): the intake form asks for suggestions for whatever the operator has typed.
SUGGEST_MAX_TEXT = 5000


class SuggestIn(Schema):
    """Suggestions for a ticket's content, in a body: text of any length a ticket accepts
    (a query string of that much Chinese is longer than servers accept)."""

    text: Text(SUGGEST_MAX_TEXT, min_length=0) = Field(default="", description="the ticket's content so far")
    limit: int = Field(default=5, ge=1, le=20)


class SearchResultOut(BaseModel):
    id: int
    external_id: str | None
    title: str
    snippet: str = Field(description="HTML: the text is escaped, matches are wrapped in <mark>…</mark>")
    score: float
    status: str
    category: str | None
    owner_unit: str | None


class SearchOut(BaseModel):
    results: list[SearchResultOut]


def results_out(results) -> SearchOut:
    return SearchOut(results=[SearchResultOut(**r.__dict__) for r in results])


# --- articles ----------------------------------------------------------------------------


class ArticleCreateIn(Schema):
    title: Line(200)
    body: Text(20000)
    category: Code | None = None
    keywords: list[Keyword] = Field(default_factory=list, max_length=20)
    owner_unit: Code | None = None
    effective_on: Day | None = None
    review_by: Day | None = None
    external_id: Line(128) | None = None


class ArticleUpdateIn(Schema):
    title: Line(200) | None = None
    body: Text(20000) | None = None
    category: Code | None = None
    keywords: list[Keyword] | None = Field(default=None, max_length=20)
    owner_unit: Code | None = None
    effective_on: Day | None = None
    review_by: Day | None = None


NULLABLE = ("category", "owner_unit", "effective_on", "review_by", "keywords")


class ArticleListQuery(QuerySchema):
    status: StatusName | None = Field(default=None, description="editors only; others see published")
    category: Code | None = None
    owner_unit: Code | None = None
    q: Line(100) | None = Field(default=None, description="part of the title or external id")
    page: int = Field(default=1, ge=1, le=10000)
    per_page: int = Field(default=20, ge=1, le=100)


class ArticleOut(BaseModel):
    id: int
    external_id: str | None
    title: str
    body: str
    category: str | None
    category_name: str | None
    keywords: list[str]
    owner_unit: str | None
    owner_unit_name: str | None
    status: str
    status_label: str
    effective_on: date | None
    review_by: date | None
    version: int
    created_at: str
    updated_at: str
    published_at: str | None
    allowed_actions: list[str]


class VersionOut(BaseModel):
    version: int
    action: str
    changed: list[str]
    actor: str | None
    at: str
    title: str
    body: str
    category: str | None
    keywords: list[str]
    owner_unit: str | None
    status: str
    effective_on: date | None
    review_by: date | None


class ArticleDetailOut(ArticleOut):
    versions: list[VersionOut]


class ArticleSummaryOut(BaseModel):
    id: int
    external_id: str | None
    title: str
    category: str | None
    owner_unit: str | None
    status: str
    status_label: str
    review_by: date | None
    version: int
    updated_at: str


class ArticleListOut(BaseModel):
    items: list[ArticleSummaryOut]
    total: int
    page: int
    per_page: int


def article_out(article) -> ArticleOut:
    return ArticleOut(**_article_fields(article))


def _article_fields(article) -> dict:
    return {
        "id": article.id,
        "external_id": article.external_id,
        "title": article.title,
        "body": article.body,
        "category": article.category.code if article.category else None,
        "category_name": article.category.full_name if article.category else None,
        "keywords": list(article.keywords or []),
        "owner_unit": article.owner_unit.code if article.owner_unit else None,
        "owner_unit_name": article.owner_unit.name if article.owner_unit else None,
        "status": article.status,
        "status_label": STATUS_LABELS[Status(article.status)],
        "effective_on": article.effective_on,
        "review_by": article.review_by,
        "version": article.version,
        "created_at": clock.isoformat(article.created_at),
        "updated_at": clock.isoformat(article.updated_at),
        "published_at": clock.isoformat(article.published_at),
        "allowed_actions": states.allowed_actions(article.status),
    }


def article_detail_out(article, versions) -> ArticleDetailOut:
    return ArticleDetailOut(
        **_article_fields(article),
        versions=[
            VersionOut(
                version=v.version,
                action=v.action,
                changed=list(v.changed or []),
                actor=v.actor.username if v.actor else None,
                at=clock.isoformat(v.at),
                title=v.title,
                body=v.body,
                category=v.category_code,
                keywords=list(v.keywords or []),
                owner_unit=v.owner_unit_code,
                status=v.status,
                effective_on=v.effective_on,
                review_by=v.review_by,
            )
            for v in versions
        ],
    )


def article_list_out(articles, total: int, page: int, per_page: int) -> ArticleListOut:
    return ArticleListOut(
        items=[
            ArticleSummaryOut(
                id=a.id,
                external_id=a.external_id,
                title=a.title,
                category=a.category.code if a.category else None,
                owner_unit=a.owner_unit.code if a.owner_unit else None,
                status=a.status,
                status_label=STATUS_LABELS[Status(a.status)],
                review_by=a.review_by,
                version=a.version,
                updated_at=clock.isoformat(a.updated_at),
            )
            for a in articles
        ],
        total=total,
        page=page,
        per_page=per_page,
    )


# --- flags (纠错) -------------------------------------------------------------------------


class FlagIn(Schema):
    kind: Literal["wrong", "outdated"]
    note: Text(2000) = Field(description="what is wrong or out of date, for the editor who checks it")


class FlagResolveIn(Schema):
    resolution: Text(2000) | None = None


class FlagListQuery(QuerySchema):
    status: Literal["open", "resolved", "all"] = "open"
    article_id: int | None = Field(default=None, ge=1)


class FlagOut(BaseModel):
    id: int
    article_id: int
    article_title: str
    owner_unit: str | None
    kind: str
    kind_label: str
    note: str | None
    status: str
    created_by: str | None
    created_at: str
    resolved_at: str | None
    resolution: str | None


class FlagListOut(BaseModel):
    items: list[FlagOut]


def flag_out(item) -> FlagOut:
    return FlagOut(
        id=item.id,
        article_id=item.article_id,
        article_title=item.article.title,
        owner_unit=item.article.owner_unit.code if item.article.owner_unit else None,
        kind=item.kind,
        kind_label=FLAG_KIND_LABELS[FlagKind(item.kind)],
        note=item.note,
        status=item.status,
        created_by=item.created_by.username if item.created_by else None,
        created_at=clock.isoformat(item.created_at),
        resolved_at=clock.isoformat(item.resolved_at),
        resolution=item.resolution,
    )


# --- synonyms and review dates ------------------------------------------------------------


class SynonymsIn(Schema):
    terms: list[Line(40)] = Field(min_length=2, max_length=20)


class SynonymsOut(BaseModel):
    id: int
    terms: list[str]
    updated_at: str


class SynonymListOut(BaseModel):
    items: list[SynonymsOut]


def synonyms_out(group) -> SynonymsOut:
    return SynonymsOut(id=group.id, terms=list(group.terms), updated_at=clock.isoformat(group.updated_at))


class ReviewDueQuery(QuerySchema):
    owner_unit: Code | None = None


class ReviewDueItem(BaseModel):
    id: int
    title: str
    owner_unit: str | None
    owner_unit_name: str | None
    review_by: date
    days_overdue: int  # days since the review-by date: 1 on the first day the article is listed


class ReviewDueOut(BaseModel):
    items: list[ReviewDueItem]


def review_due_out(articles, today: date) -> ReviewDueOut:
    return ReviewDueOut(
        items=[
            ReviewDueItem(
                id=a.id,
                title=a.title,
                owner_unit=a.owner_unit.code if a.owner_unit else None,
                owner_unit_name=a.owner_unit.name if a.owner_unit else None,
                review_by=a.review_by,
                days_overdue=(today - a.review_by).days,
            )
            for a in articles
        ]
    )
