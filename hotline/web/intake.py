"""The intake form (登记来电): what its buttons do, and what the page needs to be drawn.

The view in ``tickets.py`` parses the form and commits; this module turns the form into
service calls (create, answer, submit, or for a repeat caller: a note on the open ticket,
or a new ticket merged into it) and builds the category tree the form offers.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..categories import queries as category_queries
from ..core import clock
from ..core.errors import InvalidInput
from ..core.validation import validate
from ..tickets import queries, schemas, services
from ..tickets.states import Action
from .helpers import form_data

# The buttons of the form: intent → what the flash message says was done.
INTENT_DONE = {
    "save": "登记",
    "answer": "直接答复并办结",
    "submit": "登记并提交派单",
    "merge": "登记并作为重复件合并",
    "note": "补充到原工单",
}

# Fields of the form that are not the new ticket's.
_NOT_TICKET = ("intent", "answer", "article_id", "repeat_of")


@dataclass(frozen=True)
class Outcome:
    number: str  # the ticket to show next
    message: str  # what was done, for the flash message


def parse_intent(raw: str) -> tuple[str, str | None]:
    """``submit``, ``save``, ``answer``; or ``note:<number>`` / ``merge:<number>`` from the
    repeat-caller flag (the open ticket the call repeats)."""
    intent, _, target = (raw or "save").partition(":")
    if intent not in INTENT_DONE or bool(target) != (intent in ("note", "merge")):
        raise InvalidInput("Unknown intent.", message_zh="未知的操作。", field="intent")
    return intent, target or None


def create_from_form(form, *, actor) -> Outcome:
    """The form's button, carried out (nothing is committed here: the view commits)."""
    intent, target = parse_intent(form.get("intent", "save"))
    now = clock.now()
    if intent == "note":
        return _note_on_repeat(form, target, actor=actor, now=now)
    data = form_data(form, optional=("caller_name", "area", "address"))
    for key in _NOT_TICKET:
        data.pop(key, None)
    payload = validate(schemas.TicketCreateIn, data)
    answer = _answer_of(form) if intent == "answer" else None
    ticket, _ = services.create(actor=actor, data=services.NewTicket(**payload.model_dump()), now=now)
    if answer is not None:
        services.answer(ticket, actor=actor, now=now, article_id=answer.article_id, answer_text=answer.answer)
    elif intent == "submit":
        services.submit(ticket, actor=actor, now=now)
    elif intent == "merge":
        services.merge(ticket, actor=actor, now=now, into=target)
        return Outcome(target, f"已登记为工单 {ticket.number}，并作为重复件合并到工单 {target}。")
    return Outcome(ticket.number, f"工单 {ticket.number} 已{INTENT_DONE[intent]}。")


def _answer_of(form):
    answer_text = (form.get("answer") or "").strip()
    if not answer_text:
        raise InvalidInput("Give the answer.", message_zh="直接答复须填写答复内容。", field="answer")
    raw = {"answer": answer_text, "article_id": (form.get("article_id") or "").strip()}
    return validate(schemas.AnswerIn, form_data(raw, ints=("article_id",), optional=("article_id",)))


def _note_on_repeat(form, number: str, *, actor, now) -> Outcome:
    """The call adds to the caller's open ticket instead of opening another: what the
    caller said becomes a note (备注) on that ticket; no new ticket."""
    ticket = queries.get_visible(actor, number)
    content = (form.get("content") or "").strip()
    if not content:
        raise InvalidInput("Give the content.", message_zh="诉求内容：不能为空", field="content")
    services.check(ticket, Action.NOTE, actor)
    note = f"来电补充：{content}"
    if len(note) > schemas.MAX_NOTE:
        raise InvalidInput(
            "Too long for a note; record a new ticket and merge it.",
            message_zh=f"诉求内容：补充到原工单最多 {schemas.MAX_NOTE - 5} 个字，请改为登记并合并",
            field="content",
        )
    services.add_note(ticket, actor=actor, now=now, note=validate(schemas.NoteIn, {"note": note}).note)
    return Outcome(ticket.number, f"已将来电内容补充到工单 {ticket.number}。")


def category_groups() -> list[tuple[str, list]]:
    """The categories an operator may choose (the leaves), grouped under their parents in
    the tree's order: ``[(parent name, [categories])]``."""
    categories = category_queries.list_categories()
    parents = {c.parent_id for c in categories if c.parent_id}
    groups: dict[str, list] = {}
    for c in categories:
        if c.id in parents:
            continue
        groups.setdefault(c.parent.name if c.parent else "其他", []).append(c)
    return list(groups.items())
