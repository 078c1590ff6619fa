"""Knowledge-base API: /api/v1/kb (search, suggest, articles, 纠错 flags, synonyms, review dates).

Each view: parse, check the role (403), load (404: an article the viewer may not see does
not exist for them), check the action's predicate (403), call one service, commit once.
"""

from __future__ import annotations

from flask import Blueprint

from hotline.api.auth import actor, require, token_required
from hotline.api.helpers import body, changes, ok, query
from hotline.api.ids import path_id
from hotline.api.openapi import doc
from hotline.core import clock
from hotline.core.validation import Schema
from hotline.extensions import db

from . import permissions, queries, schemas, services
from .models import Status

bp = Blueprint("kb_api", __name__, url_prefix="/api/v1/kb")
TAGS = ["knowledge base"]
READERS = "operator, dispatcher, supervisor, kb_editor, admin (unit staff are refused)"
EDITORS = "kb_editor, admin"


class EmptyIn(Schema):
    """No fields."""


def _reader():
    user = actor()
    require(permissions.can_search(user), "Your role does not use the knowledge base.", "您无权使用知识库。")
    return user


def _editor():
    user = actor()
    require(permissions.can_edit(user), "Only knowledge editors do this.", "只有知识库编辑可以执行此操作。")
    return user


def _id(value: str) -> int:
    """A path id: digits only (anything else names nothing: 404)."""
    return path_id(value, "item", "记录")


def _article(article_id: str, user):
    return queries.get_visible_or_404(_id(article_id), user)


def detail(article):
    """An article with its version history (the API and the web page)."""
    return schemas.article_detail_out(article, queries.versions(article))


# --- search ------------------------------------------------------------------------------


@bp.get("/search")
@doc(
    summary="Search the knowledge base with a citizen's question",
    tags=TAGS,
    query=schemas.SearchQuery,
    response=schemas.SearchOut,
    roles=READERS,
    description="Ranked published articles (editors may filter by status). `snippet` is HTML: escaped text "
    "with the matched words in <mark>…</mark>. Query syntax is not interpreted: the words are searched.",
)
@token_required
def search():
    user = _reader()
    params = query(schemas.SearchQuery)
    results = services.search(
        user,
        params.q,
        limit=params.limit,
        category=params.category,
        owner_unit=params.owner_unit,
        status=params.status,
    )
    return ok(schemas.results_out(results))


@bp.get("/suggest")
@doc(
    summary="Articles for a ticket's content, as the operator types",
    tags=TAGS,
    query=schemas.SuggestQuery,
    response=schemas.SearchOut,
    roles=READERS,
)
@token_required
def suggest():
    user = _reader()
    params = query(schemas.SuggestQuery)
    return ok(schemas.results_out(services.suggest(user, params.text, limit=params.limit)))


@bp.post("/suggest")
@doc(
    summary="Articles for a ticket's content of any length (the text in the body)",
    tags=TAGS,
    body=schemas.SuggestIn,
    response=schemas.SearchOut,
    roles=READERS,
    description="The same as GET /suggest, for text up to the longest ticket content (5,000 characters), "
    "which a query string cannot carry.",
)
@token_required
def suggest_text():
    user = _reader()
    data = body(schemas.SuggestIn)
    return ok(schemas.results_out(services.suggest(user, data.text, limit=data.limit)))


# --- articles ----------------------------------------------------------------------------


@bp.get("/articles")
@doc(
    summary="List articles with filters",
    tags=TAGS,
    query=schemas.ArticleListQuery,
    response=schemas.ArticleListOut,
    roles=READERS + "; only editors see or filter other statuses than published",
)
@token_required
def list_articles():
    user = _reader()
    params = query(schemas.ArticleListQuery)
    status = params.status
    if not permissions.can_filter_status(user):
        require(
            status in (None, Status.PUBLISHED), "Only knowledge editors filter by status.", "只有编辑可按状态筛选。"
        )
        status = Status.PUBLISHED
    articles, total = queries.list_articles(
        status=status,
        category=params.category,
        owner_unit=params.owner_unit,
        text=params.q,
        page=params.page,
        per_page=params.per_page,
    )
    return ok(schemas.article_list_out(articles, total, params.page, params.per_page))


@bp.post("/articles")
@doc(
    summary="Write a new article (a draft)",
    tags=TAGS,
    body=schemas.ArticleCreateIn,
    response=schemas.ArticleDetailOut,
    status=201,
    roles=EDITORS,
)
@token_required
def create_article():
    user = _editor()
    data = body(schemas.ArticleCreateIn)
    article = services.create_article(actor=user, now=clock.now(), **data.model_dump())
    db.session.commit()
    return ok(detail(article), 201)


@bp.get("/articles/<article_id>")
@doc(
    summary="An article with its version history",
    tags=TAGS,
    response=schemas.ArticleDetailOut,
    roles=READERS + "; others than editors see published articles only (404 otherwise)",
)
@token_required
def get_article(article_id):
    user = _reader()
    return ok(detail(_article(article_id, user)))


@bp.patch("/articles/<article_id>")
@doc(
    summary="Change an article (draft, in review or published)",
    tags=TAGS,
    body=schemas.ArticleUpdateIn,
    response=schemas.ArticleDetailOut,
    roles=EDITORS,
)
@token_required
def update_article(article_id):
    user = _editor()
    article = _article(article_id, user)
    data = body(schemas.ArticleUpdateIn)
    services.update_article(article, actor=user, now=clock.now(), changes=changes(data, nullable=schemas.NULLABLE))
    db.session.commit()
    return ok(detail(article))


def _workflow(name: str, summary: str, service, roles: str = EDITORS):
    @doc(summary=summary, tags=TAGS, body=EmptyIn, response=schemas.ArticleDetailOut, roles=roles, body_required=False)
    @token_required
    def view(article_id):
        user = _editor()
        article = _article(article_id, user)
        body(EmptyIn, allow_empty=True)
        service(article, actor=user, now=clock.now())
        db.session.commit()
        return ok(detail(article))

    view.__name__ = f"{name}_article"
    bp.add_url_rule(f"/articles/<article_id>/{name}", view_func=view, methods=["POST"])


_workflow("submit", "Send a draft for review (送审)", services.submit)
_workflow(
    "publish",
    "Publish an article in review",
    services.publish,
    "another kb_editor than the author or submitter, or an admin",
)
_workflow("return", "Send an article in review back to draft (退回修改)", services.return_to_draft)
_workflow("retire", "Retire an article (下线)", services.retire)


# --- flags (纠错) -------------------------------------------------------------------------


@bp.post("/articles/<article_id>/flags")
@doc(
    summary="Flag a published article as wrong or outdated (纠错)",
    tags=TAGS,
    body=schemas.FlagIn,
    response=schemas.FlagOut,
    status=201,
    roles=READERS,
)
@token_required
def flag_article(article_id):
    user = _reader()
    article = _article(article_id, user)
    data = body(schemas.FlagIn)
    item = services.flag(article, actor=user, now=clock.now(), kind=data.kind, note=data.note)
    db.session.commit()
    return ok(schemas.flag_out(item), 201)


@bp.get("/flags")
@doc(
    summary="Flags to look at (纠错)",
    tags=TAGS,
    query=schemas.FlagListQuery,
    response=schemas.FlagListOut,
    roles=EDITORS,
)
@token_required
def list_flags():
    _editor()
    params = query(schemas.FlagListQuery)
    items = queries.list_flags(status=None if params.status == "all" else params.status, article_id=params.article_id)
    return ok(schemas.FlagListOut(items=[schemas.flag_out(i) for i in items]))


@bp.post("/flags/<flag_id>/resolve")
@doc(
    summary="Resolve a flag",
    tags=TAGS,
    body=schemas.FlagResolveIn,
    response=schemas.FlagOut,
    roles=EDITORS,
    body_required=False,
)
@token_required
def resolve_flag(flag_id):
    user = _editor()
    item = queries.get_flag_or_404(_id(flag_id))
    data = body(schemas.FlagResolveIn, allow_empty=True)
    services.resolve_flag(item, actor=user, now=clock.now(), resolution=data.resolution)
    db.session.commit()
    return ok(schemas.flag_out(item))


# --- synonyms ----------------------------------------------------------------------------


@bp.get("/synonyms")
@doc(summary="Synonym groups used by search", tags=TAGS, response=schemas.SynonymListOut, roles=EDITORS)
@token_required
def list_synonyms():
    _editor()
    return ok(schemas.SynonymListOut(items=[schemas.synonyms_out(g) for g in queries.list_synonyms()]))


@bp.post("/synonyms")
@doc(
    summary="Add a synonym group (takes effect on the next search)",
    tags=TAGS,
    body=schemas.SynonymsIn,
    response=schemas.SynonymsOut,
    status=201,
    roles=EDITORS,
)
@token_required
def create_synonyms():
    user = _editor()
    data = body(schemas.SynonymsIn)
    group = services.create_synonyms(actor=user, now=clock.now(), terms=list(data.terms))
    db.session.commit()
    return ok(schemas.synonyms_out(group), 201)


@bp.patch("/synonyms/<group_id>")
@doc(summary="Change a synonym group", tags=TAGS, body=schemas.SynonymsIn, response=schemas.SynonymsOut, roles=EDITORS)
@token_required
def update_synonyms(group_id):
    user = _editor()
    group = queries.get_synonyms_or_404(_id(group_id))
    data = body(schemas.SynonymsIn)
    services.update_synonyms(group, actor=user, now=clock.now(), terms=list(data.terms))
    db.session.commit()
    return ok(schemas.synonyms_out(group))


@bp.delete("/synonyms/<group_id>")
@doc(summary="Delete a synonym group", tags=TAGS, status=204, roles=EDITORS)
@token_required
def delete_synonyms(group_id):
    user = _editor()
    group = queries.get_synonyms_or_404(_id(group_id))
    services.delete_synonyms(group, actor=user, now=clock.now())
    db.session.commit()
    return "", 204


# --- review dates ------------------------------------------------------------------------


@bp.get("/review-due")
@doc(
    summary="Published articles past their review-by date, with the owning unit",
    tags=TAGS,
    query=schemas.ReviewDueQuery,
    response=schemas.ReviewDueOut,
    roles=EDITORS,
)
@token_required
def review_due():
    _editor()
    params = query(schemas.ReviewDueQuery)
    today = clock.local(clock.now()).date()
    return ok(schemas.review_due_out(queries.due_for_review(today, owner_unit=params.owner_unit), today))
