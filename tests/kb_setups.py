"""Knowledge-base roles and setups shared by the API route rules and the web page rules.

Readers: operator, dispatcher, supervisor, kb_editor, admin. Editors: kb_editor, admin.
The articles are written by admin, so kb_editor may publish them (another editor than
the author).
"""

from hotline.core import clock
from hotline.extensions import db

READERS = ["operator", "dispatcher", "supervisor", "kb_editor", "admin"]
EDITORS = ["kb_editor", "admin"]


def article(status):
    return lambda world: {"article_id": world.article(status=status)}


def flag(world):
    from knowledge_base import services

    article_id = world.article(status="published")
    with world.app.app_context():
        item = services.flag(
            services.get_published(article_id),
            actor=world.user("operator"),
            now=clock.now(),
            kind="wrong",
            note="电话已变更",
        )
        db.session.commit()
        return {"flag_id": item.id}


def synonyms(world):
    from knowledge_base import services

    with world.app.app_context():
        group = services.create_synonyms(actor=world.user("kb_editor"), now=clock.now(), terms=["医保", "医疗保险"])
        db.session.commit()
        return {"group_id": group.id}
