"""The reply check (答复规范性检查): what is wrong with a unit's reply before it is saved.

Plain functions over text, no database: :func:`check` takes the reply, the ticket's words
and the phone numbers the reply may name, and returns every rule it fails (each with a
Chinese message for the unit's staff). The rules:

- ``placeholder`` (敷衍答复): the reply is a stock word ("已处理", "收到", "已办结" …) or
  shorter than ``MIN_CHARS`` letters and digits. Such a reply is reported for this rule
  only (it lacks every element, saying so adds nothing).
- ``off_topic`` (答非所问): the reply is not about the ticket: ``on_topic`` (0..1, below) is
  under the threshold of the measure it was computed with (``ON_TOPIC_MIN``).
- ``no_salutation`` (缺少称呼): none of 您好/尊敬的/市民/网友/先生/女士… in the first
  ``SALUTATION_WINDOW`` characters.
- ``no_action`` (缺少办理过程): nothing says what was done or found (经查, 核实, 现场,
  调查, 安排, 处理, 根据 …).
- ``no_outcome`` (缺少办理结果): nothing says how it ended or what happens next (已解决,
  已修复, 已转交, 未发现, 现已, 目前, 下一步, 将于, 不符合, 予以 …).
- ``no_contact`` (缺少联系方式): no phone number and no words of contact (联系电话, 咨询,
  致电, 拨打 …).
- ``personal_number`` (含他人号码): a phone or identity number (found with the patterns of
  :mod:`hotline.core.privacy`) that is neither the caller's nor a unit's listed contact
  number. Identity numbers are never allowed: a reply is published to the citizen.

**How on topic a reply is** (``on_topic``), in words: how much the reply's words are the
ticket's, and, when the knowledge base's embedding model is loaded, how close their meanings
are.

- lexical: the cosine of the character bigrams of the reply and of the ticket's content (the
  measure of the probable duplicates, :mod:`.duplicates`). With the centre's history (the
  dispatch model, trained on its closed tickets), each bigram counts ``1 + log(count)`` times
  its inverse document frequency in that history (a bigram every ticket has, 您好 or 问题,
  counts little; a rare one, 路灯 or 公积金, much; a bigram the history never had counts as
  the rarest). With no history, bigrams count as they occur, and the bigrams every reply is
  made of (greetings, thanks, "经调查": ``FORMULA_BIGRAMS``) are left out.
- semantic (``semantic_texts``): the cosine of the model's vectors of the ticket (as a
  query) and of the reply with its opening formula ("……现将有关情况回复如下：") cut off (as a
  passage), each cut to ``SEMANTIC_TOKENS`` tokens.
- ``on_topic`` = ``SEMANTIC_WEIGHT`` × semantic + (1 − ``SEMANTIC_WEIGHT``) × lexical when
  the semantic side is there, else lexical alone.

Each of the four measures (with or without history, with or without the model) has its own
threshold (``ON_TOPIC_MIN``), chosen on real replies with ``bench/reply_check_eval.py``
(docs/benchmarks.md): with the semantic side, so that fewer than 2 % of real replies are
flagged; the lexical measures cannot reach that (3–5 % of real replies share no content
bigram with their message), and flag 6–8 % of real replies.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ..core.privacy import personal_numbers

MIN_CHARS = 15
SALUTATION_WINDOW = 40
SEMANTIC_WEIGHT = 0.7
SEMANTIC_TOKENS = 64
# (weighted by the history's IDF, with the semantic side) → the least on_topic that passes.
ON_TOPIC_MIN = {
    (False, False): 0.03,
    (True, False): 0.01,
    (False, True): 0.61,
    (True, True): 0.61,
}

# Rule code → (Chinese label, Chinese message for the unit's staff).
RULES = {
    "placeholder": ("敷衍答复", "答复内容过于简单（如“已处理”“收到”），请写明办理过程和结果。"),
    "off_topic": ("答非所问", "答复内容与本工单诉求关联度低，请确认是否答复了本工单反映的问题。"),
    "no_salutation": ("缺少称呼", "答复开头缺少对市民的称呼（如“您好”“尊敬的市民”）。"),
    "no_action": ("缺少办理过程", "答复未说明做了什么或查明了什么（如“经现场核查”“已安排人员处理”）。"),
    "no_outcome": ("缺少办理结果", "答复未说明办理结果或下一步安排（如“现已修复”“将于本周内完成”）。"),
    "no_contact": ("缺少联系方式", "答复未留联系方式（如“如有疑问请致电……”）。"),
    "personal_number": ("含他人号码", "答复含有非来电人、非单位公开电话的号码或身份证号，请删除：{numbers}。"),
}
RULE_ORDER = tuple(RULES)

_PLACEHOLDER = re.compile(
    r"(?:已?(?:处理|办理|办结|办|完成|解决|阅|核实|落实|回复|答复|收到)(?:完毕|完成|了)?"
    r"|收到|好的?|知道了|同意|ok|OK|无|暂无|正在处理|处理中)"
)
_SALUTATION = re.compile(r"您好|你好|尊敬的|市民|网友|先生|女士|同志|师傅|老师|群众|来电人")
_ACTION = re.compile(
    r"经查|经核|核实|核查|调查|查明|了解|现场|实地|走访|检查|排查|安排|派员|派人|组织|协调|联系了|约谈|处理|办理"
    r"|整改|维修|清理|督促|责令|根据|依据|按照|依照|规定|收悉|反映的"
)
_OUTCOME = re.compile(
    r"已(?:经)?(?:完成|解决|恢复|修复|办结|整改|处理|清理|落实|更换|拆除|退还|发放|办理|安装|疏通|补办|到位|停止|关闭|答复|告知|纳入|列入)"
    r"|已(?:经)?(?:全部|全面|基本|及时)(?:完成|解决|恢复|修复|办结|整改|处理|清理|落实)|已(?:转|于|对|向|由|责令|督促|要求|通知|联系|告知|协调|约谈|查处|立案|移交)|未发现|发现|不宜|将依法|将加强|将继续"
    r"|现已|目前|结果|下一步|将于|将在|将会|计划|预计|后续|不符合|符合|不予|予以|同意|可以|可凭|无法|不能|属于|不属于"
)
_CONTACT = re.compile(r"联系|电话|致电|拨打|咨询|热线|来电|前往|到.{0,12}(?:窗口|大厅|办公室)")
_NOT_TEXT = re.compile(r"[\W_]+")
_DIGITS = re.compile(r"\d")

# The bigrams replies are made of whatever they answer (greetings, thanks, formulae): left
# out of the on-topic similarity, or every reply would look a little like every ticket.
_FORMULA_WORDS = (
    "您好 你好 尊敬的 市民 网友 先生 女士 感谢 谢谢 支持 关心 关注 理解 配合 来信 来电 留言 反映 问题 收悉 "
    "现将 情况 回复 答复 如下 经查 经调查 核实 调查 了解 处理 办理 工作 我局 我委 我单位 我们 相关 有关 部门 "
    "联系 电话 咨询 如有 疑问 请您 您的 根据 按照 规定 进行 已经 目前 下一步 将会 继续 加强 特此 此致 年 月 日"
)


def _bigrams_of(word: str) -> set[str]:
    return {word[i : i + 2] for i in range(len(word) - 1)} or {word}


FORMULA_BIGRAMS = frozenset(b for w in _FORMULA_WORDS.split() for b in _bigrams_of(w))


@dataclass(frozen=True)
class Issue:
    code: str
    message: str

    @property
    def label(self) -> str:
        return RULES[self.code][0]

    def as_dict(self) -> dict:
        return {"code": self.code, "label": self.label, "message": self.message}


@dataclass(frozen=True)
class Result:
    on_topic: float
    issues: list[Issue] = field(default_factory=list)
    measure: str = "bigram"  # see measure()

    @property
    def codes(self) -> list[str]:
        return [i.code for i in self.issues]


def _letters(text: str) -> str:
    return _NOT_TEXT.sub("", text or "")


def is_placeholder(content: str) -> bool:
    letters = _letters(content)
    return len(letters) < MIN_CHARS or bool(_PLACEHOLDER.fullmatch(letters))


IdfOf = Callable[[str], float]

# A reply's opening formula (称呼, 已收悉, "现将有关情况回复如下："): it says nothing of the ticket,
# and the semantic side reads only the reply's first SEMANTIC_TOKENS tokens.
_OPENING = re.compile(r"^.{0,60}?(?:如下|回复|答复)[:：]\s*", re.S)


def lexical_on_topic(reply: str, ticket_text: str, idf: IdfOf | None = None) -> float:
    """0..1: the cosine of the two texts' character bigrams, each weighted by ``idf`` (the
    history's inverse document frequency) when given, else counted with the formula bigrams
    left out (the module's docstring)."""
    from .duplicates import bigrams, cosine

    if idf is None:

        def content_bigrams(text: str) -> Counter:
            return Counter({k: v for k, v in bigrams(text).items() if k not in FORMULA_BIGRAMS})

        return cosine(content_bigrams(reply), content_bigrams(ticket_text))

    def weighted(text: str) -> dict[str, float]:
        return {k: (1.0 + math.log(v)) * idf(k) for k, v in bigrams(text).items()}

    return cosine(weighted(reply), weighted(ticket_text))


def semantic_texts(reply: str, ticket_text: str) -> tuple[str, str]:
    """What the semantic side compares: (the ticket's text, the reply without its opening
    formula), to be embedded as a query and a passage of at most ``SEMANTIC_TOKENS`` tokens."""
    reply = reply or ""
    return " ".join((ticket_text or "").split()), _OPENING.sub("", reply.strip(), count=1) or reply


def combine(lexical: float, semantic: float | None) -> float:
    """``on_topic`` from its two sides (the module's docstring)."""
    if semantic is None:
        return round(lexical, 4)
    return round(SEMANTIC_WEIGHT * max(semantic, 0.0) + (1 - SEMANTIC_WEIGHT) * lexical, 4)


def on_topic(reply: str, ticket_text: str, *, idf: IdfOf | None = None, semantic: float | None = None) -> float:
    """0..1: how on topic ``reply`` is for a ticket whose words are ``ticket_text``;
    ``semantic``: the semantic side's cosine, when the caller has it."""
    return combine(lexical_on_topic(reply, ticket_text, idf), semantic)


def measure(*, idf: bool, semantic: bool) -> str:
    """The name of the measure ``on_topic`` was computed with (stored with the reply)."""
    return ("tfidf" if idf else "bigram") + ("+semantic" if semantic else "")


def threshold(*, idf: bool, semantic: bool) -> float:
    """The least ``on_topic`` that passes, for the measure it was computed with."""
    return ON_TOPIC_MIN[(idf, semantic)]


def _digits(text: str) -> str:
    digits = "".join(_DIGITS.findall(text or ""))
    digits = "".join(str(int(d)) for d in digits)  # full-width digits as ASCII
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits


def _is_allowed(number: str, allowed: set[str]) -> bool:
    """A number typed without its area code is the same as a listed landline ending with it."""
    return any(number == a or (len(number) in (7, 8) and a.endswith(number)) for a in allowed)


def foreign_numbers(content: str, allowed: Iterable[str | None]) -> list[str]:
    """The phone and identity numbers in ``content`` that are none of ``allowed``, as typed."""
    known = {_digits(a) for a in allowed if a}
    known.discard("")
    found = []
    for typed in personal_numbers(content):
        digits = _digits(typed)
        is_id = len(digits) in (15, 18) or typed[-1:] in "Xx"
        if is_id or not _is_allowed(digits, known):
            found.append(typed)
    return found


def check(
    content: str,
    *,
    ticket_text: str,
    allowed_numbers: Iterable[str | None] = (),
    idf: IdfOf | None = None,
    semantic: float | None = None,
) -> Result:
    """Every rule ``content`` fails as the reply to a ticket whose words are ``ticket_text``;
    ``idf`` and ``semantic``: the history's weights and the semantic side's cosine, when
    there (the module's docstring)."""
    content = content or ""
    score = on_topic(content, ticket_text, idf=idf, semantic=semantic)
    codes: list[str] = []
    if is_placeholder(content):
        codes.append("placeholder")
    else:
        if score < threshold(idf=idf is not None, semantic=semantic is not None):
            codes.append("off_topic")
        if not _SALUTATION.search(content[:SALUTATION_WINDOW]):
            codes.append("no_salutation")
        if not _ACTION.search(content):
            codes.append("no_action")
        if not _OUTCOME.search(content):
            codes.append("no_outcome")
        if not (_CONTACT.search(content) or personal_numbers(content)):
            codes.append("no_contact")
    issues = [Issue(code, RULES[code][1]) for code in codes]
    foreign = foreign_numbers(content, allowed_numbers)
    if foreign:
        issues.append(Issue("personal_number", RULES["personal_number"][1].format(numbers="、".join(foreign))))
    return Result(score, issues, measure(idf=idf is not None, semantic=semantic is not None))
