"""The reply check in use: run on a ticket, the warn-or-block setting per request type
(supervisors choose it, audited), and the decision whether a reply may be saved.

A failed check under ``block`` refuses the reply (422, each failed rule a field error of
``content``, nothing saved); under ``warn`` it is refused the same way until the staff send
it again with ``confirm_warnings`` (then saved, the result stored with it, ``confirmed``).
Saving never computes the check's semantic side (``run``): the form's check as the staff type
does, and the reply uses its score.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections import OrderedDict
from datetime import datetime

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import select

from ..audit import services as audit
from ..core.errors import InvalidInput
from ..core.redis import get_redis
from ..core.vocabulary import REQUEST_TYPE_LABELS, RequestType
from ..extensions import db
from ..units.models import Unit
from . import replycheck
from .models import ReplyCheckSetting
from .services import current_model

WARN, BLOCK = "warn", "block"
MODE_LABELS = {WARN: "仅提醒（确认后可保存）", BLOCK: "阻止保存（须修改后提交）"}
DEFAULT_MODE = WARN


def modes() -> dict[str, str]:
    """request type → mode, every type (those without a row: the default)."""
    stored = {s.request_type: s.mode for s in db.session.scalars(select(ReplyCheckSetting))}
    return {t.value: stored.get(t.value, DEFAULT_MODE) for t in RequestType}


def mode_for(request_type: str) -> str:
    setting = db.session.get(ReplyCheckSetting, request_type)
    return setting.mode if setting else DEFAULT_MODE


def set_modes(*, actor, now: datetime, values: dict[str, str]) -> dict[str, str]:
    """Store the modes given (request type → warn|block); each change audited. Returns the changes."""
    errors = []
    for request_type, mode in values.items():
        if request_type not in REQUEST_TYPE_LABELS:
            errors.append({"field": request_type, "message": "Unknown request type.", "message_zh": "诉求类型不存在。"})
        elif mode not in MODE_LABELS:
            errors.append(
                {
                    "field": request_type,
                    "message": "Choose warn or block.",
                    "message_zh": "请选择“仅提醒”或“阻止保存”。",
                }
            )
    if errors:
        raise InvalidInput(
            errors[0]["message"], message_zh=errors[0]["message_zh"], field=errors[0]["field"], details=errors
        )
    before = modes()
    changed = {}
    for request_type, mode in values.items():
        if before[request_type] == mode:
            continue
        setting = db.session.get(ReplyCheckSetting, request_type)
        if setting is None:
            setting = ReplyCheckSetting(request_type=request_type)
            db.session.add(setting)
        setting.mode, setting.updated_at, setting.updated_by_id = mode, now, getattr(actor, "id", None)
        changed[request_type] = mode
        audit.record(
            actor=actor,
            action="reply_check.mode_changed",
            object_type="reply_check_setting",
            object_id=request_type,
            now=now,
            data={"from": before[request_type], "to": mode},
        )
    return changed


def allowed_numbers(ticket) -> list[str]:
    """The numbers a reply may name: the caller's, and every unit's listed contact number."""
    numbers = [ticket.caller.phone] if ticket.caller is not None else []
    numbers += [p for p in db.session.scalars(select(Unit.contact_phone).where(Unit.contact_phone.is_not(None)))]
    return numbers


def run(ticket, content: str, *, compute_semantic: bool = True) -> replycheck.Result:
    """The check of ``content`` as the reply to ``ticket``: weighted by the centre's history
    when a dispatch model has been trained, with the semantic side when the knowledge base's
    model is on and loaded in this process (hotline.routing.replycheck). Without
    ``compute_semantic`` (saving a reply) the semantic side is used only when this text was
    checked before (the form checks as the staff type): saving never waits for the model."""
    # The numbers a reply may name are read only when it names one (a reply's statement budget).
    allowed = allowed_numbers(ticket) if replycheck.personal_numbers(content or "") else ()
    model = current_model()
    return replycheck.check(
        content,
        ticket_text=ticket.content,
        allowed_numbers=allowed,
        idf=model.term_idf() if model is not None else None,
        semantic=semantic_score(ticket.content, content, compute=compute_semantic),
    )


SCORE_SECONDS = 3600  # a score is kept this long: the form checks as the staff type, then the reply is sent
_SCORES: OrderedDict[str, float] = OrderedDict()  # this process's, without Redis
_SCORES_SIZE = 2048
_SCORES_LOCK = threading.Lock()


def semantic_score(ticket_text: str, content: str, *, compute: bool = True) -> float | None:
    """The semantic side's cosine of the reply and the ticket, or None when the model is off
    (``KB_SEMANTIC``) or not loaded in this process yet, or the reply is empty; without
    ``compute``, None unless it was computed before.

    It costs 80–160 ms of CPU (docs/benchmarks.md), and the same reply is checked as it is
    typed and then sent, perhaps on another host: each score is kept ``SCORE_SECONDS``, in
    Redis when it is configured (every process and host), else in this process."""
    if not current_app.config.get("KB_SEMANTIC") or not (content or "").strip():
        return None
    from knowledge_base.search import semantic

    query, passage = replycheck.semantic_texts(content, ticket_text)
    key = hashlib.sha256(f"{replycheck.SEMANTIC_TOKENS}\0{query}\0{passage}".encode()).hexdigest()[:40]
    found = _kept(key)
    if found is not None or not compute:
        return found
    score = semantic.similarity(query, passage, tokens=replycheck.SEMANTIC_TOKENS)
    if score is not None:
        _keep(key, score)
    return score


SCORE_PREFIX = "hotline:replycheck:"


def _kept(key: str) -> float | None:
    """A score kept by any process (Redis), or by this one without Redis; None if none is."""
    redis = get_redis()
    if redis is None:
        with _SCORES_LOCK:
            return _SCORES.get(key)
    try:
        found = redis.get(SCORE_PREFIX + key)
    except RedisError:  # Redis down: the check computes the score again
        return None
    return float(found) if found is not None else None


def _keep(key: str, score: float) -> None:
    redis = get_redis()
    if redis is None:
        with _SCORES_LOCK:
            _SCORES[key] = score
            if len(_SCORES) > _SCORES_SIZE:
                _SCORES.popitem(last=False)
        return
    with contextlib.suppress(RedisError):
        redis.set(SCORE_PREFIX + key, repr(score), ex=SCORE_SECONDS)


def out(ticket, result: replycheck.Result) -> dict:
    """The check's answer as the API and the reply form show it."""
    return {
        "on_topic": result.on_topic,
        "mode": mode_for(ticket.request_type),
        "issues": [i.as_dict() for i in result.issues],
    }


def enforce(ticket, content: str, *, confirm: bool) -> dict:
    """The check's record to store with the reply, or InvalidInput when it may not be saved."""
    result = run(ticket, content, compute_semantic=False)
    # The request type's mode matters (and is read) only when the reply fails a rule.
    mode = mode_for(ticket.request_type) if result.issues else None
    if result.issues and (mode == BLOCK or not confirm):
        details = [
            {"field": "content", "code": i.code, "message": f"Reply check: {i.code}.", "message_zh": i.message}
            for i in result.issues
        ]
        if mode == BLOCK:
            head = "答复未通过规范性检查，请修改后再提交："
        else:
            head = "答复存在以下问题，请修改，或确认后仍然提交："
        raise InvalidInput(
            f"The reply fails the reply check ({', '.join(result.codes)}); mode {mode}.",
            message_zh=head + "；".join(i.label for i in result.issues) + "。",
            code="reply_check_blocked" if mode == BLOCK else "reply_check_warnings",
            field="content",
            details=details,
        )
    return {
        "on_topic": result.on_topic,
        "measure": result.measure,
        "issues": result.codes,
        "mode": mode,
        "confirmed": bool(result.issues),
    }
