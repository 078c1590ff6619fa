"""Knowledge-base pages: search while the caller waits, articles with 纠错, and the editors' desk."""

from __future__ import annotations

import re

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from knowledge_base import permissions, queries, schemas, services
from knowledge_base.models import FLAG_KIND_LABELS, STATUS_LABELS
from knowledge_base.views import detail

from ..api.ids import path_id
from ..categories import queries as category_queries
from ..core import clock
from ..core.errors import DomainError, InvalidInput, NotFound
from ..core.validation import validate, validate_query
from ..extensions import db
from ..units import queries as unit_queries
from .helpers import field_errors, filters, form_data, role_required

bp = Blueprint("web_kb", __name__)

ARTICLE_FIELDS = ("title", "body", "category", "keywords", "owner_unit", "effective_on", "review_by")
FLAG_FIELDS = {"kind": "纠错类型", "note": "说明"}
FLAGGED = "已提交纠错，知识库编辑将核实处理。"
_KEYWORD_SPLIT = re.compile(r"[,，、;；\s]+")
WORKFLOW = {
    "submit": (services.submit, "已送审"),
    "publish": (services.publish, "已发布"),
    "return": (services.return_to_draft, "已退回修改"),
    "retire": (services.retire, "已下线"),
}


def _labels() -> dict:
    return {
        "status": {k.value: v for k, v in STATUS_LABELS.items()},
        "flag": {k.value: v for k, v in FLAG_KIND_LABELS.items()},
    }


def _article(article_id: str):
    return queries.get_visible_or_404(path_id(article_id, "article", "知识条目"), current_user)


@bp.get("/kb")
@role_required(permissions.can_search)
def search():
    params = filters(schemas.SearchQuery, request.args)
    if params is None:
        return redirect(url_for("web_kb.search"))
    return _render_search(params)


def _render_search(params, *, flag_form=None, status=200):
    """The search page; ``flag_form`` (article_id, errors, values) reopens a refused 纠错."""
    # The service refuses a status filter from those who see published articles only (403),
    # as the API does, even with no question typed yet.
    results = services.search(
        current_user,
        params.q,
        limit=params.limit,
        category=params.category,
        owner_unit=params.owner_unit,
        status=params.status,
    )
    return (
        render_template(
            "kb/search.html",
            params=params,
            results=results,
            labels=_labels(),
            categories=category_queries.list_categories(),
            units=unit_queries.list_units(),
            can_filter_status=permissions.can_filter_status(current_user),
            search_args=params.model_dump(mode="json", exclude_defaults=True),
            flaggable={r.id for r in results if permissions.can_flag(current_user, r)},
            flag_form=flag_form,
        ),
        status,
    )


@bp.route("/ui/kb/suggest", methods=["GET", "POST"])
@role_required(permissions.can_search)
def suggest():
    """Articles for the ticket being typed (JSON for the intake form; read-only). The form
    POSTs the text: a query string of a few hundred Chinese characters is longer than
    servers accept (gunicorn: 4 KiB), and a ticket's content may have 5,000."""
    if request.method == "POST":
        try:
            params = validate(schemas.SuggestIn, form_data(request.form, ints=("limit",)))
        except InvalidInput as exc:
            return jsonify({"error": exc.to_dict()}), exc.status
    else:
        params = filters(schemas.SuggestQuery, request.args)
    if params is None:
        return jsonify({"error": {"code": "validation_error", "message_zh": "查询条件有误。"}}), 422
    results = services.suggest(current_user, params.text, limit=params.limit)
    articles = queries.published_by_id([r.id for r in results])
    items = [
        {
            "id": r.id,
            "title": r.title,
            "snippet": r.snippet,
            "answer": articles[r.id].body[:1500] if r.id in articles else "",
            # An article chosen as the answer proposes its category for the ticket.
            **_category_of(articles.get(r.id)),
            "url": url_for("web_kb.show_article", article_id=r.id),
            "flag_url": url_for("web_kb.flag_suggestion", article_id=r.id),
        }
        for r in results
    ]
    return jsonify({"results": items})


def _category_of(article) -> dict:
    category = article.category if article is not None else None
    return {"category": category.code if category else None, "category_name": category.full_name if category else None}


@bp.get("/kb/articles/<article_id>")
@role_required(permissions.can_search)
def show_article(article_id):
    return _render_article(_article(article_id))


def _render_article(article, *, errors=None, values=None, status=200):
    return (
        render_template(
            "kb/article.html",
            a=detail(article),
            article=article,
            labels=_labels(),
            errors=errors or {},
            values=values or {},
            can_edit=permissions.can_edit(current_user),
            can_publish=permissions.can_publish(current_user, article),
            can_flag=permissions.can_flag(current_user, article),
            flags=queries.list_flags(status="open", article_id=article.id)
            if permissions.can_edit(current_user)
            else [],
        ),
        status,
    )


# --- 纠错: from the article page, a search result, or a suggestion on the intake form -----


def _flag(article):
    """Record the operator's 纠错 from the submitted form, validated as the API does; commits.

    Raises DomainError (nothing recorded) for a missing kind, an empty or too long note ...
    """
    data = validate(schemas.FlagIn, form_data(request.form))
    item = services.flag(article, actor=current_user, now=clock.now(), kind=data.kind, note=data.note)
    db.session.commit()
    return item


def _flag_error(exc: DomainError) -> str:
    """Why a 纠错 was refused, naming the field in Chinese (说明：不能为空)."""
    errors = field_errors(exc)
    for field, label in FLAG_FIELDS.items():
        if field in errors:
            return f"纠错未提交。{label}：{errors[field]}"
    return exc.message_zh


@bp.post("/kb/articles/<article_id>/flags")
@role_required(permissions.can_search)
def flag_article(article_id):
    article = _article(article_id)
    try:
        _flag(article)
    except DomainError as exc:
        db.session.rollback()
        flash(_flag_error(exc), "error")
        return _render_article(
            _article(article_id), errors=field_errors(exc), values=request.form.to_dict(), status=exc.status
        )
    flash(FLAGGED, "success")
    return redirect(url_for("web_kb.show_article", article_id=article.id), 303)


@bp.post("/kb/search/articles/<article_id>/flags")
@role_required(permissions.can_search)
def flag_from_search(article_id):
    """纠错 from a search result; back to the same search (its query string is this form's)."""
    article = _article(article_id)
    try:
        params = validate_query(schemas.SearchQuery, {k: v for k, v in request.args.items() if v != ""})
    except DomainError:
        params = schemas.SearchQuery()  # an address tampered with: back to an empty search
    try:
        _flag(article)
    except DomainError as exc:
        db.session.rollback()
        flash(_flag_error(exc), "error")
        flag_form = {"article_id": article.id, "errors": field_errors(exc), "values": request.form.to_dict()}
        return _render_search(params, flag_form=flag_form, status=exc.status)
    flash(f"已提交纠错：「{article.title}」，知识库编辑将核实处理。", "success")
    return redirect(url_for("web_kb.search", **params.model_dump(mode="json", exclude_defaults=True)), 303)


@bp.post("/ui/kb/articles/<article_id>/flags")
@role_required(permissions.can_search)
def flag_suggestion(article_id):
    """纠错 on an article suggested on the intake form (JSON for its script: the ticket being typed stays)."""
    article = _article(article_id)
    try:
        item = _flag(article)
    except DomainError as exc:
        db.session.rollback()
        error = exc.to_dict() | {"message_zh": _flag_error(exc), "fields": field_errors(exc)}
        return jsonify({"error": error}), exc.status
    return jsonify({"flag": schemas.flag_out(item).model_dump(mode="json"), "message_zh": FLAGGED}), 201


# --- the editors' desk -----------------------------------------------------------------------


@bp.get("/kb/articles")
@role_required(permissions.can_edit)
def list_articles():
    params = filters(schemas.ArticleListQuery, request.args)
    if params is None:
        return redirect(url_for("web_kb.list_articles"))
    articles, total = queries.list_articles(
        status=params.status,
        category=params.category,
        owner_unit=params.owner_unit,
        text=params.q,
        page=params.page,
        per_page=params.per_page,
    )
    pages = max(1, -(-total // params.per_page))
    return render_template(
        "kb/articles.html", articles=articles, total=total, pages=pages, params=params, labels=_labels()
    )


def _article_data(form) -> dict:
    data = form_data(form, optional=("category", "owner_unit", "effective_on", "review_by", "external_id"))
    if "keywords" in data:
        data["keywords"] = [k for k in _KEYWORD_SPLIT.split(data["keywords"]) if k]
    return data


def _render_form(article=None, *, values=None, errors=None, status=200):
    return (
        render_template(
            "kb/edit.html",
            article=article,
            values=values or {},
            errors=errors or {},
            categories=category_queries.list_categories(),
            units=unit_queries.list_units(),
        ),
        status,
    )


@bp.route("/kb/articles/new", methods=["GET", "POST"])
@role_required(permissions.can_edit)
def new_article():
    if request.method == "GET":
        return _render_form()
    try:
        data = validate(schemas.ArticleCreateIn, _article_data(request.form))
        article = services.create_article(actor=current_user, now=clock.now(), **data.model_dump())
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return _render_form(values=request.form.to_dict(), errors=field_errors(exc), status=exc.status)
    flash("已保存为草稿。", "success")
    return redirect(url_for("web_kb.show_article", article_id=article.id), 303)


@bp.route("/kb/articles/<article_id>/edit", methods=["GET", "POST"])
@role_required(permissions.can_edit)
def edit_article(article_id):
    article = _article(article_id)
    if request.method == "GET":
        values = {f: getattr(article, f) for f in ("title", "body", "effective_on", "review_by")}
        values.update(
            category=article.category.code if article.category else "",
            owner_unit=article.owner_unit.code if article.owner_unit else "",
            keywords="，".join(article.keywords or []),
        )
        return _render_form(article, values=values)
    data = _article_data(request.form)
    for field in ("category", "owner_unit", "effective_on", "review_by"):
        data.setdefault(field, None)  # an emptied field clears it
    try:
        payload = validate(schemas.ArticleUpdateIn, data)
        services.update_article(
            article,
            actor=current_user,
            now=clock.now(),
            changes={k: v for k, v in payload.model_dump().items() if k in ARTICLE_FIELDS},
        )
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return _render_form(
            _article(article_id), values=request.form.to_dict(), errors=field_errors(exc), status=exc.status
        )
    flash("已保存。", "success")
    return redirect(url_for("web_kb.show_article", article_id=article.id), 303)


@bp.post("/kb/articles/<article_id>/<action>")
@role_required(permissions.can_edit)
def workflow(article_id, action):
    article = _article(article_id)
    if action not in WORKFLOW:
        raise NotFound("No such action.", message_zh="不支持的操作。")
    service, done = WORKFLOW[action]
    try:
        service(article, actor=current_user, now=clock.now())
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message_zh, "error")
        return _render_article(_article(article_id), status=exc.status)
    flash(f"{done}。", "success")
    return redirect(url_for("web_kb.show_article", article_id=article.id), 303)


@bp.get("/kb/flags")
@role_required(permissions.can_edit)
def list_flags():
    return render_template("kb/flags.html", flags=queries.list_flags(status="open"), labels=_labels())


@bp.post("/kb/flags/<flag_id>/resolve")
@role_required(permissions.can_edit)
def resolve_flag(flag_id):
    item = queries.get_flag_or_404(path_id(flag_id, "flag", "纠错记录"))
    try:
        data = validate(schemas.FlagResolveIn, form_data(request.form, optional=("resolution",)))
        services.resolve_flag(item, actor=current_user, now=clock.now(), resolution=data.resolution)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message_zh, "error")
        return render_template("kb/flags.html", flags=queries.list_flags(status="open"), labels=_labels()), exc.status
    flash("纠错已处理。", "success")
    return redirect(url_for("web_kb.list_flags"), 303)


@bp.get("/kb/review-due")
@role_required(permissions.can_edit)
def review_due():
    today = clock.local(clock.now()).date()
    return render_template(
        "kb/review_due.html", items=schemas.review_due_out(queries.due_for_review(today), today).items
    )


@bp.route("/kb/synonyms", methods=["GET", "POST"])
@role_required(permissions.can_edit)
def synonyms():
    errors, status = {}, 200
    if request.method == "POST":
        terms = [t for t in _KEYWORD_SPLIT.split(request.form.get("terms", "")) if t]
        try:
            data = validate(schemas.SynonymsIn, {"terms": terms})
            services.create_synonyms(actor=current_user, now=clock.now(), terms=data.terms)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            errors, status = {"terms": exc.message_zh}, exc.status
            flash(exc.message_zh, "error")
        else:
            flash("已添加同义词组，下一次搜索即生效。", "success")
            return redirect(url_for("web_kb.synonyms"), 303)
    return render_template(
        "kb/synonyms.html", groups=queries.list_synonyms(), errors=errors, value=request.form.get("terms", "")
    ), status


@bp.post("/kb/synonyms/<group_id>/delete")
@role_required(permissions.can_edit)
def delete_synonyms(group_id):
    group = queries.get_synonyms_or_404(path_id(group_id, "synonym group", "同义词组"))
    services.delete_synonyms(group, actor=current_user, now=clock.now())
    db.session.commit()
    flash("已删除同义词组。", "success")
    return redirect(url_for("web_kb.synonyms"), 303)
