"""Every figure defined once in words (Chinese, printed in the bulletin's notes).

The keys are those of :mod:`hotline.reports.figures` (counts and rates) and
:mod:`hotline.reports.scores`; a test checks that every figure has its definition.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Definition:
    key: str
    name: str  # the Chinese column header
    text: str  # the definition, for the bulletin's notes


GENERAL = (
    "统计口径：统计期按市民热线中心所在时区（北京时间）的自然月或所选日期区间计算，含开始日、含结束日；"
    "当期尚未结束的，按截至统计时刻的数据计算。被合并的重复工单不单独统计（随其合并到的工单计一次）。"
    "经审核批准免责（考核免责）的工单，不计入该单位的考核指标（签收、办结、满意、解决、重办、黄红牌），"
    "但仍计入接收量和话务量。时限均以工单派单时适用的时限规则计算（自然时或工作时），"
    "经批准延期的，以延期后的时限为准。"
)

_ITEMS = [
    # --- per unit: volume and activity
    (
        "received",
        "接收工单数",
        "统计期内派至本单位（主办）的工单数，含退回后改派至本单位的工单；重办不重复计数；同一工单在期内多次派至本单位只计一次。",
    ),
    ("redispatched", "改派接收数", "统计期内本单位接收的、此前曾被其他单位（或本单位）退回后再次派出的工单派单次数。"),
    ("still_open", "在办工单数", "统计期末（当期未结束的为统计时刻）本单位仍在办理、尚未答复的工单数。"),
    ("returned", "退单数", "统计期内本单位退回的工单次数（按退单时间统计）。"),
    ("returned_rate", "退单率", "退单数 ÷ 接收工单数。"),
    ("extensions", "延期申请数", "统计期内本单位提出的延期申请数（按申请时间统计）。"),
    ("extensions_approved", "延期批准数", "统计期内提出的延期申请中已获批准的数量。"),
    # --- accept and reply deadlines
    (
        "accept_assessed",
        "应签收数",
        "统计期内结算的签收时限数：按时签收的，在签收时结算；未按时签收的，在签收时限到期时结算（此后何时签收不影响）。退单、合并等在到期前终止的时限不参与考核。",
    ),
    ("accept_on_time", "按时签收数", "应签收数中在签收时限内签收的数量。"),
    ("accept_overdue", "超时签收数", "应签收数中未在签收时限内签收的数量。"),
    ("accepted_on_time_rate", "签收及时率", "按时签收数 ÷ 应签收数；统计期内没有应签收工单的，记为“—”（不参与计分）。"),
    (
        "reply_assessed",
        "应办结数",
        "统计期内结算的答复时限数（每次派单或重办各有一个答复时限）：按期答复的，在答复时结算；逾期的，在答复时限到期时结算，计入到期所在统计期。跨月办理的工单计入结算所在月。退单、合并等在到期前终止的时限不参与考核。",
    ),
    ("reply_on_time", "按期办结数", "应办结数中在答复时限（含批准的延期）内答复的数量。"),
    ("reply_overdue", "超期数", "应办结数中未在答复时限内答复的数量（含到期后才答复、到期仍未答复或到期后被退回的）。"),
    ("replied_on_time_rate", "按期办结率", "按期办结数 ÷ 应办结数。"),
    (
        "replied_early",
        "提前办结数",
        "按期办结数中，答复时剩余时间不少于总时限一半的数量（即在派单至到期时刻的中点之前答复，按实际时间计算）。",
    ),
    ("early_rate", "提前办结率", "提前办结数 ÷ 应办结数。"),
    # --- callbacks
    (
        "callbacks",
        "回访数",
        "统计期内对本单位答复进行回访并取得结果的次数（按回访时间统计；重办后的再次回访另计一次）。",
    ),
    ("satisfied", "满意数", "回访结果为“满意”或“基本满意”的次数。"),
    ("dissatisfied", "不满意数", "回访结果为“不满意”的次数。"),
    ("satisfaction_rate", "满意率", "（满意 + 基本满意）÷ 回访数。"),
    ("resolved", "已解决数", "回访中市民表示问题已解决的次数。"),
    ("resolution_rate", "解决率", "已解决数 ÷ 回访数。"),
    ("reopened", "重办数", "统计期内因回访不满意退回本单位重新办理的次数（按重办时间统计）。"),
    ("reopen_rate", "重办率", "重办数 ÷ 回访数。"),
    # --- cards and exemptions
    ("yellow_cards", "黄牌数", "统计期内对本单位亮出的黄牌数（时限到期未办理，按亮牌时间统计）。"),
    ("red_cards", "红牌数", "统计期内对本单位亮出的红牌数（严重超时，按亮牌时间统计）。"),
    ("exempted", "免责工单数", "统计期内经审核批准免责的本单位工单数（按批准时间统计）。"),
    # --- the score
    (
        "score",
        "综合得分",
        (
            "按期办结率、满意率、解决率、签收及时率按考核方案的权重（默认 30、30、30、10）加权，满分 100；"
            "某项比率为“—”（当期无可考核工单）的，该项不计，其余各项按权重比例折算为满分 100；"
            "再按每张黄牌、红牌扣分（默认 1 分、3 分），最低 0 分，保留一位小数。"
            "四项比率均为“—”的单位不计分、不排名。统计期末有效的考核方案适用于该期。"
        ),
    ),
    ("rank", "排名", "按综合得分从高到低排名，市直部门与区（县）、镇街分别排名；得分相同的名次并列。"),
    # --- the centre
    ("centre_received", "话务受理量", "统计期内登记的工单数（按登记时间统计），不含被合并的重复工单。"),
    ("answered_on_call", "直接答复数", "受理量中由话务员当场答复办结、未派单的工单数。"),
    ("answered_on_call_rate", "直接答复率", "直接答复数 ÷ 话务受理量。"),
    ("dispatched", "派单数", "受理量中已派往承办单位的工单数。"),
    ("merged", "合并工单数", "统计期内登记、因重复已合并到其他工单的数量（不计入受理量）。"),
    ("first_dispatched", "首次派单数", "统计期内首次派出的工单数（按首次派单时间统计）。"),
    ("dispatched_accurately", "一次派准数", "首次派单数中，首个主办单位未退单、此后也未改由其他单位主办的工单数。"),
    ("first_dispatch_accuracy", "一次派准率", "一次派准数 ÷ 首次派单数。"),
    ("bounces", "退单次数", "统计期内各单位退回工单的总次数（工单在单位之间流转的次数）。"),
    (
        "month_on_month",
        "环比",
        "（本期受理量 − 上期受理量）÷ 上期受理量；按月统计时上期为上月，按区间统计时为紧邻的等长区间。",
    ),
    ("year_on_year", "同比", "（本期受理量 − 上年同期受理量）÷ 上年同期受理量。"),
]

DEFINITIONS: dict[str, Definition] = {key: Definition(key, name, text) for key, name, text in _ITEMS}

# The public JSON's other spellings of the same counts.
DEFINITIONS["overdue"] = DEFINITIONS["reply_overdue"]
DEFINITIONS["accepted_on_time"] = DEFINITIONS["accept_on_time"]
DEFINITIONS["replied_on_time"] = DEFINITIONS["reply_on_time"]


def label(key: str) -> str:
    definition = DEFINITIONS.get(key)
    return definition.name if definition else key


def notes() -> list[Definition]:
    """The definitions in the order of the bulletin's notes (aliases once)."""
    return [DEFINITIONS[key] for key, _name, _text in _ITEMS]
