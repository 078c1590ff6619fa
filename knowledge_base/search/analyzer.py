"""Chinese text analysis for the knowledge base: the same terms at index and query time.

A term is one of:

* a character bigram of a run of Chinese characters (``社会保险`` → 社会 会保 保险), which
  finds a question's words however the citizen splits them;
* a jieba word of three or more characters from the same run (``老年人优待证`` →
  老年人 优待证, ``不动产登记``), using our user dictionary of government-service terms
  (``userdict.txt``) so that those terms are whole tokens that match exactly;
* a lowercase run of Latin letters and digits.

Bigrams made only of question and function words (怎么 如何 哪些 可以 ...) are dropped.
The choice of bigrams plus long words (over jieba words alone or jieba's search-mode
``ChineseAnalyzer``) was made by measurement: see ``bench/kb_eval.py`` and the README.
A question's terms are the same, weighed by jieba's split of it (:func:`weighted_terms`):
the index does not depend on those weights.

Every term carries its character offsets in the original text, which is what the
snippet highlighter uses. Text is normalised one character at a time (full-width forms to
half-width, lower case), so offsets stay those of the original.

jieba is initialised once per process (:func:`ensure_jieba`), with its cache file in a
directory of ours and the user dictionary loaded; every process that indexes or searches
goes through it, so the index and the queries always agree.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import threading
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from whoosh.analysis import Token, Tokenizer

log = logging.getLogger(__name__)

USER_DICT = Path(__file__).with_name("userdict.txt")

# Runs of CJK ideographs, or of Latin letters and digits (after normalisation).
_RUNS = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[a-z0-9]+")

# Bigrams that carry no topic: question words, pronouns, particles. Measured: dropping them
# costs nothing in quality and removes the most frequent (slowest) query terms.
_STOP_LINES = (
    "怎么 怎样 如何 什么 哪些 哪里 哪个 是否 可以 能否 能不 请问 我们 你们 他们 这个 那个 这些 那些",
    "有何 有哪 有什 多少 为什 么办 么样 需要 应该 还是 或者 以及 一下 是不 不是 没有 已经 因为 所以",
    "但是 如果 现在 时候 是什 么是 了么 一个 这样 那么",
)
STOP_BIGRAMS = frozenset(word for line in _STOP_LINES for word in line.split())
# A bigram with one of these particles in it is noise (险的, 的企, 了吗): dropped.
STOP_CHARS = frozenset("的吗呢吧啊呀嘛")

MIN_WORD = 3  # jieba words this long or longer are indexed beside the bigrams
# Query-time weights (see weighted_terms), measured with bench/kb_eval.py on both sets.
BOUNDARY_WEIGHT = 0.7  # a question's bigram that crosses a jieba word boundary
WORD_WEIGHT = 0.7  # a question's jieba word of MIN_WORD or more characters

_jieba_lock = threading.Lock()
_jieba_pid: int | None = None
_jieba_cut = None


def ensure_jieba(cache_dir: str | os.PathLike | None = None):
    """Initialise jieba once per process: cache file in ``cache_dir``, user dictionary loaded.

    Returns jieba's ``cut``. Safe to call from many threads; a forked child initialises
    again (its parent's state is copied, but the user dictionary is re-checked).
    """
    global _jieba_pid, _jieba_cut
    if _jieba_cut is not None and _jieba_pid == os.getpid():
        return _jieba_cut
    with _jieba_lock:
        if _jieba_cut is not None and _jieba_pid == os.getpid():
            return _jieba_cut
        import jieba

        jieba.setLogLevel(logging.WARNING)
        directory = Path(cache_dir) if cache_dir else Path(tempfile.gettempdir()) / "hotline-jieba"
        directory.mkdir(parents=True, exist_ok=True)
        jieba.dt.tmp_dir = str(directory)
        jieba.dt.cache_file = "jieba.cache"
        if not jieba.dt.initialized:
            jieba.initialize()
        with open(USER_DICT, "rb") as handle:  # jieba leaves a file it opens itself unclosed
            jieba.load_userdict(handle)
        _jieba_cut = jieba.dt.cut
        _jieba_pid = os.getpid()
        return _jieba_cut


# Full-width ASCII and the ideographic space: most of what NFKC changes in Chinese text.
# Replaced by a regular expression, not str.translate: translate looks every character up
# in a dict, the expression visits only the few full-width ones, several times faster on
# a long article; the result is the same.
_FULL_WIDTH = {chr(code): chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)} | {"\u3000": " "}
_FULL_WIDTH_RE = re.compile("[\uff01-\uff5e\u3000]")


def _half_width(match: re.Match) -> str:
    return _FULL_WIDTH[match.group()]


def normalise(text: str) -> str:
    """Full-width to half-width (NFKC) and lower case, keeping every character's offset."""
    fast = _FULL_WIDTH_RE.sub(_half_width, text).lower()
    if len(fast) == len(text) and unicodedata.is_normalized("NFKC", fast):
        return fast
    out = []
    for ch in text:  # rare: other compatibility characters, or case changes that alter length
        folded = unicodedata.normalize("NFKC", ch).lower()
        out.append(folded if len(folded) == 1 else ch)
    return "".join(out)


def terms(text: str, *, words: bool = True) -> Iterator[tuple[str, int, int]]:
    """Yield ``(term, start, end)`` for ``text``; offsets index the original string."""
    for term, start, end, _ in _analyse(text, words=words, weigh=False):
        yield term, start, end


def weighted_terms(text: str) -> Iterator[tuple[str, float]]:
    """Yield ``(term, weight)`` for a question: the index's terms, weighed by jieba's words.

    A bigram inside one jieba word (社保, 医疗 in 医疗保险) weighs 1; a bigram across two
    words (金领 in 失业保险金领取, 卡补 in 社保卡补办) is mostly noise, yet rare and so
    heavily weighted by BM25, and weighs ``BOUNDARY_WEIGHT``: kept, because jieba's split
    is sometimes wrong. A long word weighs ``WORD_WEIGHT``: its bigrams already count it,
    the word only adds an exact-match bonus.
    """
    for term, _, _, weight in _analyse(text, words=True, weigh=True):
        yield term, weight


def _analyse(text: str, *, words: bool, weigh: bool) -> Iterator[tuple[str, int, int, float]]:
    if not text:
        return
    norm = normalise(text)
    cut = ensure_jieba() if words else None
    for match in _RUNS.finditer(norm):
        run = match.group()
        start = match.start()
        if run[0] < "\u3400":  # Latin letters and digits
            yield run, start, match.end(), 1.0
            continue
        if len(run) == 1:
            yield run, start, start + 1, 1.0
            continue
        pieces = list(cut(run, HMM=False)) if cut is not None and (weigh or len(run) >= MIN_WORD) else []
        inside = set()  # offsets in ``run`` of the bigrams that lie inside one jieba word
        if weigh:
            offset = 0
            for piece in pieces:
                inside.update(range(offset, offset + len(piece) - 1))
                offset += len(piece)
        for i in range(len(run) - 1):
            gram = run[i : i + 2]
            if gram not in STOP_BIGRAMS and gram[0] not in STOP_CHARS and gram[1] not in STOP_CHARS:
                weight = 1.0 if not weigh or i in inside else BOUNDARY_WEIGHT
                yield gram, start + i, start + i + 2, weight
        offset = start
        for word in pieces:
            if len(word) >= MIN_WORD:
                yield word, offset, offset + len(word), WORD_WEIGHT if weigh else 1.0
            offset += len(word)


class HotlineTokenizer(Tokenizer):
    """Whoosh tokenizer over :func:`terms`. Module-level: Whoosh pickles it into the index."""

    def __init__(self, words: bool = True):
        self.words = words

    def __eq__(self, other):
        return other.__class__ is self.__class__ and other.words == self.words

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for pos, (text, start, end) in enumerate(terms(value, words=self.words)):
            token.text = text
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = text
            if positions:
                token.pos = start_pos + pos
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            yield token


def analyzer(words: bool = True):
    return HotlineTokenizer(words=words)
