"""Knowledge-base actions: write, submit, publish, retire, import, flag (纠错), synonyms.

Plain functions taking ``actor=`` (None for the system: CLI imports, jobs) and ``now=``.
They check the named permission predicates, change state, append a version snapshot and
an audit event, flush, and ask for the index to be updated after the commit. They never
commit: the view, command or job does.

Searching lives in :mod:`knowledge_base.searching` and is re-exported here
(:func:`search`, :func:`suggest`).
"""

from __future__ import annotations

from datetime import date, datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from hotline.audit.services import record
from hotline.categories.models import Category
from hotline.core import hooks, jobs, signals
from hotline.core.errors import ConcurrentUpdate, Conflict, Forbidden, InvalidInput, InvalidTransition
from hotline.extensions import db
from hotline.units.models import Unit

from . import permissions, states, vectors
from .models import Article, ArticleVersion, Flag, FlagKind, Status, SynonymGroup
from .searching import SearchResult, search, suggest  # noqa: F401 - the search API of this domain

EDITABLE = ("title", "body", "category", "keywords", "owner_unit", "effective_on", "review_by")
INDEX_JOB = "knowledge_base.tasks.index_articles"


# --- lookups used by other domains -------------------------------------------------------


def get_published(article_id: int) -> Article | None:
    """The article if it exists and is published, else None (tickets check answers with it)."""
    article = db.session.get(Article, article_id)
    return article if article is not None and article.status == Status.PUBLISHED else None


# --- helpers -----------------------------------------------------------------------------


def _require(allowed: bool, message: str, message_zh: str) -> None:
    if not allowed:
        raise Forbidden(message, message_zh=message_zh)


def _category(code: str | None) -> Category | None:
    if code is None:
        return None
    category = db.session.scalar(select(Category).where(Category.code == code))
    if category is None:
        raise InvalidInput(f"Unknown category {code!r}.", message_zh="分类不存在。", field="category")
    return category


def _unit(code: str | None) -> Unit | None:
    if code is None:
        return None
    unit = db.session.scalar(select(Unit).where(Unit.code == code))
    if unit is None:
        raise InvalidInput(f"Unknown unit {code!r}.", message_zh="单位不存在。", field="owner_unit")
    return unit


def _check_dates(effective_on: date | None, review_by: date | None) -> None:
    if effective_on and review_by and review_by < effective_on:
        raise InvalidInput(
            "review_by must not be before effective_on.", message_zh="复审日期不能早于生效日期。", field="review_by"
        )


def _snapshot(article: Article, action: str, changed: list[str], actor, now: datetime) -> ArticleVersion:
    try:
        db.session.flush()  # the version column moves on flush; a concurrent save surfaces here
    except StaleDataError:
        raise ConcurrentUpdate(
            "The article was changed by someone else; reload and try again.",
            message_zh="条目已被他人修改，请刷新后重试。",
        ) from None
    version = ArticleVersion(
        article_id=article.id,
        version=article.version,
        action=action,
        changed=changed,
        title=article.title,
        body=article.body,
        category_code=article.category.code if article.category else None,
        keywords=list(article.keywords or []),
        owner_unit_code=article.owner_unit.code if article.owner_unit else None,
        status=article.status,
        effective_on=article.effective_on,
        review_by=article.review_by,
        actor_id=getattr(actor, "id", None),
        at=now,
    )
    db.session.add(version)
    record(
        actor=actor,
        action=f"kb.article.{action}",
        object_type="kb_article",
        object_id=article.id,
        now=now,
        data={"version": article.version, "changed": changed, "status": article.status},
    )
    schedule_index(article.id)
    return version


def schedule_index(article_id: int) -> None:
    """Update the article in the index after the commit (one job per transaction)."""
    session = db.session()
    for fn, args, _ in hooks.pending(session):
        if fn is _submit_index:
            args[1].add(article_id)
            return
    hooks.after_commit(session, _submit_index, current_app._get_current_object(), {article_id})


def take_index_requests() -> list[int]:
    """Take the ids this transaction would index after commit (the CLI indexes them itself)."""
    for fn, args, _ in hooks.pending(db.session()):
        if fn is _submit_index:
            ids = sorted(args[1])
            args[1].clear()
            return ids
    return []


def _submit_index(app, ids: set[int]) -> None:
    if ids:
        spec = jobs.JobSpec(INDEX_JOB, tuple(sorted(ids)), queue="search_index", retry_intervals=(5, 30, 120))
        try:
            jobs.submit(app, spec)
        finally:
            vectors.schedule(ids, app)  # the semantic side: its own queue, any number of workers


def _check_external_id(external_id: str) -> None:
    if db.session.scalar(select(Article.id).where(Article.external_id == external_id)) is not None:
        raise Conflict(
            f"external_id {external_id!r} is already used.", message_zh="外部编号已存在。", field="external_id"
        )


def _transition(article: Article, action: str) -> str:
    status = states.next_status(article.status, action)
    if status is None:
        raise InvalidTransition(
            f"Cannot {action} an article that is {article.status}.",
            message_zh="当前状态下不能执行此操作。",
        )
    return status


# --- articles ----------------------------------------------------------------------------


def create_article(
    *,
    actor,
    now: datetime,
    title: str,
    body: str,
    category: str | None = None,
    keywords: list[str] | tuple[str, ...] = (),
    owner_unit: str | None = None,
    effective_on: date | None = None,
    review_by: date | None = None,
    external_id: str | None = None,
) -> Article:
    """A new draft."""
    if actor is not None:
        _require(permissions.can_edit(actor), "Only knowledge editors write articles.", "只有知识库编辑可以编写条目。")
    _check_dates(effective_on, review_by)
    if external_id is not None:
        _check_external_id(external_id)
    article = Article(
        external_id=external_id,
        title=title,
        body=body,
        category=_category(category),
        keywords=list(keywords),
        owner_unit=_unit(owner_unit),
        status=Status.DRAFT,
        effective_on=effective_on,
        review_by=review_by,
        created_by_id=getattr(actor, "id", None),
        created_at=now,
        updated_at=now,
    )
    db.session.add(article)
    _snapshot(article, "create", [f for f in EDITABLE if getattr(article, f, None) not in (None, [], "")], actor, now)
    return article


def update_article(article: Article, *, actor, now: datetime, changes: dict) -> Article:
    """Change fields (``changes`` maps EDITABLE names to values; category/owner_unit by code)."""
    if actor is not None:
        _require(permissions.can_edit(actor), "Only knowledge editors change articles.", "只有知识库编辑可以修改条目。")
    _transition(article, "update")
    changed = []
    for field, value in changes.items():
        if field not in EDITABLE:
            raise InvalidInput(f"{field} cannot be changed.", message_zh="该字段不能修改。", field=field)
        if field == "category":
            value = _category(value)
        elif field == "owner_unit":
            value = _unit(value)
        elif field == "keywords":
            value = list(value or [])
        if getattr(article, field) != value:
            setattr(article, field, value)
            changed.append(field)
    _check_dates(article.effective_on, article.review_by)
    if not changed:
        return article
    article.updated_at = now
    _snapshot(article, "update", changed, actor, now)
    return article


def submit(article: Article, *, actor, now: datetime) -> Article:
    """Send a draft for review (送审)."""
    if actor is not None:
        _require(permissions.can_edit(actor), "Only knowledge editors submit articles.", "只有知识库编辑可以送审。")
    article.status = _transition(article, "submit")
    article.submitted_by_id = getattr(actor, "id", None)
    article.updated_at = now
    _snapshot(article, "submit", ["status"], actor, now)
    return article


def publish(article: Article, *, actor, now: datetime) -> Article:
    """Publish an article in review: another editor than its author and submitter, or an admin."""
    if actor is not None:
        _require(
            permissions.can_publish(actor, article),
            "Another editor or an admin publishes an article, not its author.",
            "条目须由其他编辑或管理员审核发布。",
        )
    article.status = _transition(article, "publish")
    article.published_by_id = getattr(actor, "id", None)
    article.published_at = now
    article.updated_at = now
    _snapshot(article, "publish", ["status"], actor, now)
    return article


def return_to_draft(article: Article, *, actor, now: datetime) -> Article:
    """The reviewer sends an article back to its author (退回修改)."""
    if actor is not None:
        _require(permissions.can_edit(actor), "Only knowledge editors review articles.", "只有知识库编辑可以审核。")
    article.status = _transition(article, "return")
    article.updated_at = now
    _snapshot(article, "return", ["status"], actor, now)
    return article


def retire(article: Article, *, actor, now: datetime) -> Article:
    """Take an article out of use (下线): operators no longer find it."""
    if actor is not None:
        _require(permissions.can_edit(actor), "Only knowledge editors retire articles.", "只有知识库编辑可以下线条目。")
    article.status = _transition(article, "retire")
    article.retired_at = now
    article.updated_at = now
    _snapshot(article, "retire", ["status"], actor, now)
    return article


def import_article(
    existing: Article | None,
    *,
    now: datetime,
    external_id: str | None,
    title: str,
    body: str,
    category: str | None = None,
    keywords: list[str] | tuple[str, ...] = (),
    status: str = Status.PUBLISHED,
) -> tuple[Article, str]:
    """Create or update an imported article (the CLI import). Returns (article, outcome).

    ``existing`` is the article the line stands for, if any (found by the CLI). A new
    article gets ``external_id`` and ``status``; an existing one is updated in place and
    keeps its status (statuses change through the workflow; a retired article stays
    retired and is not changed). outcome: created, updated, unchanged.
    """
    if existing is None:
        status = Status(status)
        article = Article(
            external_id=external_id,
            title=title,
            body=body,
            category=_category(category),
            keywords=list(keywords),
            status=status,
            published_at=now if status == Status.PUBLISHED else None,
            retired_at=now if status == Status.RETIRED else None,
            created_at=now,
            updated_at=now,
        )
        db.session.add(article)
        _snapshot(article, "import", ["title", "body", "category", "keywords", "status"], None, now)
        return article, "created"
    if existing.status == Status.RETIRED:
        return existing, "unchanged"
    before = existing.version
    update_article(
        existing,
        actor=None,
        now=now,
        changes={"title": title, "body": body, "category": category, "keywords": list(keywords)},
    )
    return existing, "updated" if existing.version != before else "unchanged"


# --- 纠错 flags --------------------------------------------------------------------------


def flag(article: Article, *, actor, now: datetime, kind: str, note: str | None) -> Flag:
    """An operator says a published article is wrong or outdated."""
    _require(permissions.can_flag(actor, article), "You may not flag this article.", "您不能对该条目纠错。")
    if kind not in (FlagKind.WRONG, FlagKind.OUTDATED):
        raise InvalidInput("kind must be wrong or outdated.", message_zh="纠错类型不正确。", field="kind")
    item = Flag(article_id=article.id, kind=kind, note=note, status="open", created_by_id=actor.id, created_at=now)
    db.session.add(item)
    db.session.flush()
    record(
        actor=actor,
        action="kb.flag.create",
        object_type="kb_article",
        object_id=article.id,
        now=now,
        data={"flag": item.id, "kind": kind},
    )
    return item


def resolve_flag(item: Flag, *, actor, now: datetime, resolution: str | None) -> Flag:
    _require(permissions.can_edit(actor), "Only knowledge editors resolve flags.", "只有知识库编辑可以处理纠错。")
    if item.status != "open":
        raise Conflict("The flag is already resolved.", message_zh="该纠错已处理。", code="invalid_transition")
    item.status = "resolved"
    item.resolved_by_id = actor.id
    item.resolved_at = now
    item.resolution = resolution
    item.open_key = None
    db.session.flush()
    record(
        actor=actor,
        action="kb.flag.resolve",
        object_type="kb_article",
        object_id=item.article_id,
        now=now,
        data={"flag": item.id},
    )
    return item


def flag_review_due(*, now: datetime, today: date) -> int:
    """Raise one open review_due flag on each published article past its review-by date, for
    editors, and tell the article's owner unit. Returns how many flags were added.

    The owner unit is told through ``signals.article_review_due``, sent for every due
    article on every run, flagged now or before (an editor may have set a new review-by date
    that has passed too while the old flag is still open). The notifications receiver keeps
    to one message per article and review-by date, and sends none for an article without an
    owner unit or whose unit has no contact: then the flag alone tells the editors.

    Safe to run twice at once: the open flag's unique ``open_key`` lets only one insert win,
    and the message's unique idempotency key only one message.
    """
    from .queries import due_for_review

    added = 0
    for article in due_for_review(today):
        if _raise_review_flag(article, now):
            added += 1
        signals.article_review_due.send(article, review_by=article.review_by, now=now)
    if added:
        record(
            actor=None,
            action="kb.review_due.flag",
            object_type="kb_article",
            object_id=None,
            now=now,
            data={"flagged": added},
        )
    return added


def _raise_review_flag(article: Article, now: datetime) -> bool:
    """The article's open review_due flag, unless it has one; True if this call added it."""
    key = f"review_due:{article.id}"
    if db.session.scalar(select(Flag.id).where(Flag.open_key == key)) is not None:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(
                Flag(
                    article_id=article.id,
                    kind=FlagKind.REVIEW_DUE,
                    note=f"已过复审期限 {article.review_by.isoformat()}",
                    status="open",
                    open_key=key,
                    created_at=now,
                )
            )
    except IntegrityError:
        return False  # a concurrent run flagged this article first: that flag stands
    return True


# --- synonyms ----------------------------------------------------------------------------


def _clean_terms(terms: list[str], *, exclude_id: int | None = None) -> list[str]:
    cleaned = []
    for term in terms:
        term = term.strip()
        if term and term not in cleaned:
            cleaned.append(term)
    if len(cleaned) < 2:
        raise InvalidInput(
            "A synonym group needs two different terms.", message_zh="同义词组至少需要两个不同的词。", field="terms"
        )
    for group in db.session.scalars(select(SynonymGroup)):
        if group.id != exclude_id and set(group.terms) & set(cleaned):
            raise Conflict(
                f"{sorted(set(group.terms) & set(cleaned))} already belong to synonym group {group.id}.",
                message_zh="该词已属于另一个同义词组。",
                field="terms",
            )
    return cleaned


def create_synonyms(*, actor, now: datetime, terms: list[str]) -> SynonymGroup:
    if actor is not None:
        _require(permissions.can_edit(actor), "Only knowledge editors edit synonyms.", "只有知识库编辑可以维护同义词。")
    group = SynonymGroup(terms=_clean_terms(terms), created_at=now, updated_at=now)
    db.session.add(group)
    db.session.flush()
    record(
        actor=actor,
        action="kb.synonyms.create",
        object_type="kb_synonyms",
        object_id=group.id,
        now=now,
        data={"terms": group.terms},
    )
    return group


def update_synonyms(group: SynonymGroup, *, actor, now: datetime, terms: list[str]) -> SynonymGroup:
    _require(permissions.can_edit(actor), "Only knowledge editors edit synonyms.", "只有知识库编辑可以维护同义词。")
    before = list(group.terms)
    group.terms = _clean_terms(terms, exclude_id=group.id)
    group.updated_at = now
    db.session.flush()
    record(
        actor=actor,
        action="kb.synonyms.update",
        object_type="kb_synonyms",
        object_id=group.id,
        now=now,
        data={"before": before, "after": group.terms},
    )
    return group


def delete_synonyms(group: SynonymGroup, *, actor, now: datetime) -> None:
    _require(permissions.can_edit(actor), "Only knowledge editors edit synonyms.", "只有知识库编辑可以维护同义词。")
    record(
        actor=actor,
        action="kb.synonyms.delete",
        object_type="kb_synonyms",
        object_id=group.id,
        now=now,
        data={"terms": list(group.terms)},
    )
    db.session.delete(group)
    db.session.flush()
