"""The Whoosh schema and the document made from an article.

One analysed field, ``content`` (title, keywords and body together): measured on the
evaluation sets, a separate title field with its own boost scored no better and doubled
the query time (bench/kb_eval.py). Filters are plain ID/KEYWORD fields.
"""

from __future__ import annotations

from whoosh import fields

from .analyzer import HotlineTokenizer

CONTENT = "content"


def make_schema() -> fields.Schema:
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
        status=fields.ID,
        # The category's code and its ancestors' ("SOCIAL SOCIAL.PENSION"): a filter on a
        # parent category finds its children's articles.
        category=fields.KEYWORD,
        owner_unit=fields.ID,
        content=fields.TEXT(analyzer=HotlineTokenizer(), phrase=False),
    )


def category_codes(category) -> str:
    codes = []
    node = category
    while node is not None and len(codes) < 10:
        codes.append(node.code)
        node = node.parent
    return " ".join(codes)


def content_text(title: str, keywords, body: str) -> str:
    return "\n".join([title, " ".join(keywords or ()), body])


def document(article) -> dict:
    """The index document of an article (every status: the filter decides who sees what)."""
    doc = {
        "id": str(article.id),
        "status": article.status,
        "content": content_text(article.title, article.keywords, article.body),
    }
    if article.category is not None:
        doc["category"] = category_codes(article.category)
    if article.owner_unit is not None:
        doc["owner_unit"] = article.owner_unit.code
    return doc
