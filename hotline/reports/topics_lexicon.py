"""A ticket's terms for hot topics: jieba words, minus the hotline's stop words, weighed by TF-IDF.

``analyse(text)`` returns up to :data:`MAX_TERMS` ``(term, weight)`` pairs: jieba's words
(default mode, HMM on, the knowledge base's user dictionary) of two or more Chinese
characters, without Latin letters or digits (place codes, dates, phone numbers), without the
stop words below, and without words so common in any text that they name no issue (jieba's
inverse document frequency below :data:`MIN_IDF`: 问题, 没有, 影响 ...). Synonyms are mapped
to one word (断水, 没水 → 停水) so that the same issue in different words shares its terms.
The weight is the term's count in the text times its IDF (jieba's general-corpus table; a
word it does not know, such as a street's name, gets the table's median).

Changing the stop list, the synonyms or the rules changes the terms: raise
:data:`ANALYZER_VERSION`, and the backfill re-analyses every ticket written with an older one.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from pathlib import Path

ANALYZER_VERSION = 1
MAX_TERMS = 12
MIN_IDF = 5.0

# Words of how people write to the hotline, and of how the centre writes tickets, that say
# nothing about what the ticket is about.
_STOP_TEXT = """
    请问 反映 反应 市民 希望 您好 你好 咨询 投诉 举报 建议 求助 问题 情况 领导 尊敬 尊敬的 谢谢 感谢 麻烦 烦请
    恳请 恳求 请求 要求 诉求 相关 部门 相关部门 职能部门 政府部门 有关部门 政府 有关 单位 处理 解决 回复 答复
    落实 及时 尽快 严重 影响 多次 一直 已经 现在 目前 至今 本人 我们 他们 你们 大家 这个 那个 什么 怎么 为什么
    为何 如何 是否 能否 可否 可以 不能 无法 没有 还是 但是 而且 因为 所以 由于 如果 虽然 以及 或者 并且 同时
    进行 存在 发生 出现 造成 导致 作为 关于 对于 根据 按照 通过 经过 其中 以上 以下 之前 之后 今年 去年 明年
    每天 晚上 夜里 白天 时间 时候 地方 一下 一些 很多 非常 特别 真的 实在 根本 完全 全部 所有 任何 其他 另外
    还有 只有 只能 就是 不是 是不是 这样 这种 这些 那么 一个 两个 几个 一次 再次 重视 关注 帮助 协调 督促 调查
    核实 此事 该事 事情 这件 群众 老百姓 百姓 人民 市委 市政府 区政府 县政府 书记 市长 区长 县长 热线 平台 来电
    电话 联系 告知 知道 了解 认为 觉得 表示 期待 盼望 给予 予以 得到 引起 带来 需要 应该 必须 可能 工作 人员
    工作人员 事项 方面 有限公司 生活 正常 合理 合法 此致 敬礼 信箱 市长信箱 网友 留言 标题 内容 小区 居民 业主们
    谢谢您 万分感谢 感谢您 您们 各位 贵部门 有关单位 主管部门 相关单位 部门领导 市领导 区领导 县领导 上级 一下子
    怎么办 为啥 多久 何时 哪里 哪个 哪些 这里 那里 附近 周边 位于 地址 本市 我市 我区 该区 该市 请求解决
    希望解决 尽快解决 予以解决 帮忙 帮忙解决 谢谢领导 情况反映 反映情况 具体 有人 每次 经常 长期 今天 昨天 前天
    最近 近期 近日 日前 当时 后来 以后 以来 过去 一年 多年 几年 一天 几天 月份 目前为止 有何 难道 事实 有没有
    我家 区内 区域 以南 以北 以东 以西 背景 力度 加快 请问一下 到底 究竟 一点 不管 不了 不会 还要 只是 真是 确实
    肯定 希望能 能够 为了 此外 然而 因此 怎样 咋办 说明
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())

# Different words for the same issue: each mapped to the first word of its group.
SYNONYMS = (
    ("停水", "断水", "没水", "不来水", "停止供水"),
    ("停电", "断电", "没电", "停止供电"),
    ("暖气", "供暖", "供热", "暖气片", "集中供暖"),
    ("噪音", "噪声"),
    ("路灯", "街灯"),
    ("公交", "公交车", "公共汽车", "公交线路", "公交路线"),
    ("地铁", "轨道交通"),
    ("物业", "物业公司", "物业管理"),
    ("开发商", "开发公司"),
    ("欠薪", "拖欠工资", "讨薪", "工资拖欠"),
    ("违建", "违章建筑", "违法建筑", "违章搭建", "违法建设"),
    ("占道", "占道经营", "摆摊"),
    ("车位", "停车位"),
    ("垃圾", "生活垃圾"),
    ("爆管", "水管爆裂", "爆裂", "管道爆裂"),
)
CANONICAL = {word: group[0] for group in SYNONYMS for word in group[1:]}

_NOT_A_TERM = re.compile(r"[0-9A-Za-z\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]|[^\u4e00-\u9fff]")

_idf_lock = threading.Lock()
_idf: tuple[dict[str, float], float] | None = None


def _idf_table() -> tuple[dict[str, float], float]:
    """jieba's IDF table and its median (loaded once per process)."""
    global _idf
    if _idf is None:
        with _idf_lock:
            if _idf is None:
                import jieba

                # Read here rather than through jieba.analyse, which leaves the file open.
                table: dict[str, float] = {}
                path = Path(jieba.__file__).with_name("analyse") / "idf.txt"
                with open(path, encoding="utf-8") as handle:
                    for line in handle:
                        word, _, value = line.strip().partition(" ")
                        if value:
                            table[word] = float(value)
                _idf = (table, sorted(table.values())[len(table) // 2])
    return _idf


def _cut():
    from flask import current_app, has_app_context

    from knowledge_base.search.analyzer import ensure_jieba

    cache_dir = None
    if has_app_context():
        cache_dir = f"{current_app.config['DATA_DIR']}/jieba"
    return ensure_jieba(cache_dir)


def is_term(word: str) -> bool:
    """A word worth keeping: 2 to 16 Chinese characters only, not a stop word."""
    return 2 <= len(word) <= 16 and not _NOT_A_TERM.search(word) and word not in STOP_WORDS


def analyse(text: str, *, extra_stop_words: frozenset[str] = frozenset()) -> list[tuple[str, float]]:
    """The text's terms with their TF-IDF weights, heaviest first (ties by the term)."""
    if not text:
        return []
    idf, median = _idf_table()
    counts: Counter[str] = Counter()
    for word in _cut()(text):
        word = CANONICAL.get(word, word)
        if not is_term(word) or word in extra_stop_words:
            continue
        if idf.get(word, median) < MIN_IDF:
            continue
        counts[word] += 1
    weighted = [(term, round(n * idf.get(term, median), 3)) for term, n in counts.items()]
    weighted.sort(key=lambda tw: (-tw[1], tw[0]))
    return weighted[:MAX_TERMS]
