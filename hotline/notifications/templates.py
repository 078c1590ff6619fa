"""The built-in message templates, and checking and rendering ``{placeholder}`` text. Pure.

Each template code is one kind of message the system sends; admins may change its
channel, subject and body (``NotificationTemplate`` rows), but only with the
placeholders that code offers. Placeholders are plain ``{name}``: no attribute access,
no index, no format spec, so a template can never reach into the program.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

TICKET = frozenset({"ticket_number", "request_type", "category"})
UNIT = TICKET | {"unit_name", "due_at"}
DEADLINE = TICKET | {"unit_name", "deadline", "due_at"}
KB_ARTICLE = frozenset({"unit_name", "article_id", "article_title", "review_by"})


@dataclass(frozen=True)
class TemplateSpec:
    code: str
    label: str  # what the message is, in Chinese (shown to admins)
    audience: str  # unit, unit_head, supervisor, citizen
    channel: str
    subject: str
    body: str
    placeholders: frozenset[str]


_SPECS = [
    TemplateSpec(
        "citizen_verification_code",
        "网上留言验证码（市民）",
        "citizen",
        "sms",
        "12345热线验证码",
        "【12345热线】您的网上留言验证码为{code}，{minutes}分钟内有效。如非本人操作，请忽略本短信。",
        frozenset({"code", "minutes"}),
    ),
    TemplateSpec(
        "citizen_confirmation",
        "办件确认（来电人）",
        "citizen",
        "sms",
        "12345热线办件确认",
        "【12345热线】您反映的{request_type}事项已受理，工单号{ticket_number}，可凭工单号查询办理进度。",
        TICKET,
    ),
    TemplateSpec(
        "citizen_reply_ready",
        "答复通知（来电人）",
        "citizen",
        "sms",
        "12345热线答复通知",
        "【12345热线】您的工单{ticket_number}已由{unit_name}答复，我们将尽快回访，请保持电话畅通。",
        TICKET | {"unit_name"},
    ),
    TemplateSpec(
        "citizen_evaluation",
        "办结评议邀请（来电人）",
        "citizen",
        "sms",
        "12345热线办结评议",
        "【12345热线】您的工单{ticket_number}已办结。欢迎对办理情况评议：回复1满意、2基本满意、3不满意。",
        TICKET,
    ),
    TemplateSpec(
        "unit_ticket_dispatched",
        "新工单派单通知（成员单位）",
        "unit",
        "sms",
        "新工单派单通知",
        "【12345热线】{unit_name}：工单{ticket_number}（{request_type}·{category}）已派至贵单位，请及时签收，于{due_at}前答复。",
        UNIT,
    ),
    TemplateSpec(
        "unit_ticket_reopened",
        "重办通知（成员单位）",
        "unit",
        "sms",
        "工单重办通知",
        "【12345热线】{unit_name}：工单{ticket_number}经回访群众不满意，已重新派办，请于{due_at}前重新答复。",
        UNIT,
    ),
    TemplateSpec(
        "unit_deadline_warning",
        "超时预警（成员单位）",
        "unit",
        "sms",
        "工单超时预警",
        "【12345热线·预警】{unit_name}：工单{ticket_number}的{deadline}期限将于{due_at}到期，请抓紧办理。",
        DEADLINE,
    ),
    TemplateSpec(
        "unit_overdue",
        "超时黄牌（成员单位）",
        "unit",
        "sms",
        "工单超时通知",
        "【12345热线·超时】{unit_name}：工单{ticket_number}已超过{deadline}期限（{due_at}），已记黄牌一张，请立即办理。",
        DEADLINE,
    ),
    TemplateSpec(
        "supervisor_overdue",
        "超时黄牌（督办人员）",
        "supervisor",
        "sms",
        "电子监察：工单超时",
        "【电子监察】{unit_name}办理的工单{ticket_number}已超过{deadline}期限（{due_at}），已记黄牌。",
        DEADLINE,
    ),
    TemplateSpec(
        "head_red_card",
        "红牌（单位负责人）",
        "unit_head",
        "sms",
        "电子监察红牌通知",
        "【电子监察·红牌】{head_name}您好：{unit_name}办理的工单{ticket_number}严重超过{deadline}期限"
        "（{due_at}），已记红牌，请督促整改。",
        DEADLINE | {"head_name"},
    ),
    TemplateSpec(
        "supervisor_red_card",
        "红牌（督办人员）",
        "supervisor",
        "sms",
        "电子监察：红牌",
        "【电子监察·红牌】{unit_name}办理的工单{ticket_number}严重超过{deadline}期限（{due_at}），已记红牌。",
        DEADLINE,
    ),
    TemplateSpec(
        "unit_urge",
        "催办通知（成员单位）",
        "unit",
        "sms",
        "工单催办通知",
        "【12345热线·催办】{unit_name}：请加快办理工单{ticket_number}。{note}",
        UNIT | {"note"},
    ),
    TemplateSpec(
        "unit_supervise",
        "督办通知（成员单位）",
        "unit",
        "sms",
        "工单督办通知",
        "【12345热线·督办】{unit_name}：工单{ticket_number}已列入督办，请认真办理并按时反馈。{note}",
        UNIT | {"note"},
    ),
    TemplateSpec(
        "unit_rectification",
        "整改通知书（成员单位）",
        "unit",
        "sms",
        "整改通知书",
        "【电子监察·整改通知】{unit_name}：请就工单{ticket_number}于{due_at}前完成整改并反馈。{note}",
        UNIT | {"note"},
    ),
    TemplateSpec(
        "unit_kb_review_due",
        "知识条目到期复审（成员单位）",
        "unit",
        "sms",
        "知识条目到期复审提醒",
        "【12345热线·知识库】{unit_name}：贵单位负责的知识条目《{article_title}》（编号{article_id}）"
        "已过复审期限（{review_by}），请核对内容是否仍然准确，并将修改意见告知知识库编辑。",
        KB_ARTICLE,
    ),
]

DEFAULTS: dict[str, TemplateSpec] = {spec.code: spec for spec in _SPECS}

MAX_SUBJECT = 200
MAX_BODY = {"sms": 500, "email": 5000}


class TemplateError(ValueError):
    """A template text that may not be used; ``field`` is subject or body."""

    def __init__(self, message: str, message_zh: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.message_zh = message_zh
        self.field = field


def placeholders_in(text: str, *, field: str = "body") -> list[str]:
    """The placeholder names in ``text``; TemplateError for anything but plain ``{name}``."""
    names = []
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise TemplateError(
            f"{field}: {exc} (write {{{{ and }}}} for literal braces)", f"{field}：花括号不匹配", field
        ) from None
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise TemplateError(
                f"{field}: placeholders are plain {{name}}, got {{{name}{'!' + conversion if conversion else ''}"
                f"{':' + spec if spec else ''}}}",
                f"{field}：占位符格式不正确",
                field,
            )
        names.append(name)
    return names


def check(code: str, *, channel: str, subject: str | None, body: str) -> None:
    """Refuse a template text with an unknown placeholder, an empty body, or a missing subject."""
    spec = DEFAULTS[code]
    allowed = spec.placeholders
    for field, text in (("subject", subject or ""), ("body", body)):
        unknown = sorted(set(placeholders_in(text, field=field)) - allowed)
        if unknown:
            raise TemplateError(
                f"{field}: unknown placeholder(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}",
                f"{field}：不支持的占位符 {'、'.join(unknown)}",
                field,
            )
    if not body.strip():
        raise TemplateError("body: the message text is empty", "body：内容不能为空", "body")
    if len(body) > MAX_BODY[channel]:
        raise TemplateError(
            f"body: at most {MAX_BODY[channel]} characters for {channel}",
            f"body：内容过长（最多 {MAX_BODY[channel]} 个字）",
            "body",
        )
    if channel == "email" and not (subject or "").strip():
        raise TemplateError("subject: an e-mail needs a subject", "subject：邮件必须有主题", "subject")


def render(text: str, context: dict[str, str]) -> str:
    """Fill in the placeholders; a placeholder without a value renders empty."""
    out = []
    for literal, name, _spec, _conversion in string.Formatter().parse(text):
        out.append(literal)
        if name is not None:
            out.append(str(context.get(name) or ""))
    return "".join(out)
