"""Knowledge-base tables: articles, their version history, 纠错 flags, synonym groups.

The database is the source of truth; the Whoosh index (``knowledge_base.search``) is a
cache rebuilt from these rows.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.core.types import UTCDateTime
from hotline.extensions import db

JSONType = JSON().with_variant(JSONB(), "postgresql")


class Status(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    PUBLISHED = "published"
    RETIRED = "retired"


STATUS_LABELS = {
    Status.DRAFT: "草稿",
    Status.IN_REVIEW: "待审核",
    Status.PUBLISHED: "已发布",
    Status.RETIRED: "已下线",
}
STATUSES = tuple(s.value for s in Status)


class FlagKind(StrEnum):
    WRONG = "wrong"  # 内容有误
    OUTDATED = "outdated"  # 内容过时
    REVIEW_DUE = "review_due"  # raised by the system when the review-by date has passed


FLAG_KIND_LABELS = {FlagKind.WRONG: "内容有误", FlagKind.OUTDATED: "内容过时", FlagKind.REVIEW_DUE: "到期待复审"}
FLAG_KINDS = tuple(k.value for k in FlagKind)


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Article(db.Model):
    """One knowledge-base article (知识条目)."""

    __tablename__ = "kb_articles"
    __table_args__ = (
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint("version >= 1", name="version"),
        Index("ix_kb_articles_status_review_by", "status", "review_by"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The id an import gave it (kept so that re-importing updates instead of duplicating).
    external_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), index=True)
    keywords: Mapped[list] = mapped_column(JSONType, default=list)
    owner_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=Status.DRAFT)
    effective_on: Mapped[date | None] = mapped_column(Date)
    review_by: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The change sequence's value of the transaction that last changed the article
    # (``knowledge_base.changes``): each host's index catches up from it.
    change_seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0", index=True)

    category = relationship("Category", lazy="joined")
    owner_unit = relationship("Unit", lazy="joined")

    # Two editors saving at once: the second UPDATE finds the version moved and fails.
    __mapper_args__ = {"version_id_col": version}

    @property
    def is_published(self) -> bool:
        return self.status == Status.PUBLISHED

    def __repr__(self) -> str:
        return f"<Article {self.id} {self.status}>"


class ChangeSequence(db.Model):
    """One row: how many transactions have changed articles (``knowledge_base.changes``).

    Raised by one upsert just before each such transaction commits, which holds the row's
    lock until the commit: the values are handed out in commit order, so an index that has
    applied every article with ``change_seq`` up to N, with N read from this row, has
    missed nothing committed before.
    """

    __tablename__ = "kb_change_sequence"
    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class ArticleVersion(db.Model):
    """A snapshot of an article after each change: who changed what, when. Append-only."""

    __tablename__ = "kb_article_versions"
    __table_args__ = (UniqueConstraint("article_id", "version", name="uq_kb_article_versions_article_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_articles.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(32))
    changed: Mapped[list] = mapped_column(JSONType, default=list)  # names of the fields this change set
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    category_code: Mapped[str | None] = mapped_column(String(64))
    keywords: Mapped[list] = mapped_column(JSONType, default=list)
    owner_unit_code: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    effective_on: Mapped[date | None] = mapped_column(Date)
    review_by: Mapped[date | None] = mapped_column(Date)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    actor = relationship("User", lazy="joined")


class Flag(db.Model):
    """纠错: someone says an article is wrong or outdated (or its review date has passed)."""

    __tablename__ = "kb_flags"
    __table_args__ = (
        CheckConstraint(_in("kind", FLAG_KINDS), name="kind"),
        CheckConstraint("status IN ('open', 'resolved')", name="status"),
        CheckConstraint("(status = 'open') = (resolved_at IS NULL)", name="resolved_when_closed"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_articles.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")
    # Set only on the open system flag of an article ("review_due:<id>"), cleared when it is
    # resolved: the unique constraint makes the periodic job safe to run twice at once.
    open_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution: Mapped[str | None] = mapped_column(Text)

    article = relationship(Article, lazy="joined")
    created_by = relationship("User", foreign_keys=[created_by_id], lazy="joined")


class SynonymGroup(db.Model):
    """Words that mean the same for search (社保 = 社会保险). Applied at query time."""

    __tablename__ = "kb_synonym_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    terms: Mapped[list] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ArticleVector(db.Model):
    """An article's semantic vector (``knowledge_base.search.semantic``), one per article.

    Computed by a background job after the article's text changes; ``content_sha`` names the
    model and the text it was computed from, so a stale or foreign vector is recomputed. A
    web process reloads only the rows written since it last looked (``embedded_at``).
    """

    __tablename__ = "kb_article_vectors"

    article_id: Mapped[int] = mapped_column(ForeignKey("kb_articles.id", ondelete="CASCADE"), primary_key=True)
    content_sha: Mapped[str] = mapped_column(String(64))
    vector: Mapped[bytes] = mapped_column(LargeBinary)  # DIM little-endian float32
    embedded_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
