"""Grouping tickets into topics by the terms they share (pure Python, no database).

Input: each ticket's candidate terms with their weights (``docs``: ticket id → {term:
weight}), the candidates being a period's most frequent terms. The rule, in words:

1. Each ticket speaks through its :data:`TOP_PER_TICKET` heaviest candidate terms.
2. Two terms belong to one issue when they are said together often: at least
   :data:`MIN_PAIR` tickets have both, and their association (co-occurrences over the
   geometric mean of their frequencies, a cosine) is at least :data:`LINK`.
3. Groups are formed around seeds: the most frequent term not yet in a group takes the
   terms not yet in a group that are linked to it, strongest first, up to
   :data:`MAX_GROUP` terms in all (a star, not a chain: every keyword of a topic is said
   with its seed). A group is a topic's keywords.
4. A ticket belongs to the topic whose keywords it shares with the greatest weight, if it
   shares two of them, or one that is the ticket's heaviest term (路灯坏了 → 路灯). Each
   ticket belongs to one topic at most.

The same rule (step 4 with the same groups) assigns the previous period's tickets, which
gives each topic's change. Everything is ordered by value then by term or id, so the same
input always gives the same topics.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field

TOP_PER_TICKET = 6
MIN_PAIR = 2
LINK = 0.3
MAX_GROUP = 6


@dataclass
class Topic:
    keywords: list[str]  # by frequency among its tickets, most frequent first
    ticket_ids: list[int] = field(default_factory=list)
    group: int = 0  # its index in the term groups (to assign other tickets to it)

    @property
    def count(self) -> int:
        return len(self.ticket_ids)

    @property
    def label(self) -> str:
        return "、".join(self.keywords[:3])


def _top_terms(terms: dict[str, float]) -> list[str]:
    return [t for t, _ in sorted(terms.items(), key=lambda tw: (-tw[1], tw[0]))[:TOP_PER_TICKET]]


def group_terms(docs: dict[int, dict[str, float]]) -> list[list[str]]:
    """Steps 1–3: the groups of terms, each sorted; groups in a stable order."""
    tops = {tid: _top_terms(terms) for tid, terms in docs.items()}
    df: Counter[str] = Counter()
    pairs: Counter[tuple[str, str]] = Counter()
    for terms in tops.values():
        df.update(terms)
        ordered = sorted(terms)
        for i, a in enumerate(ordered):
            for b in ordered[i + 1 :]:
                pairs[(a, b)] += 1
    strength: dict[str, dict[str, float]] = defaultdict(dict)
    for (a, b), together in pairs.items():
        if together < MIN_PAIR:
            continue
        value = together / math.sqrt(df[a] * df[b])
        if value >= LINK:
            strength[a][b] = strength[b][a] = value
    groups = []
    taken: set[str] = set()
    for seed in sorted(df, key=lambda t: (-df[t], t)):
        if seed in taken:
            continue
        partners = sorted((t for t in strength[seed] if t not in taken), key=lambda t: (-strength[seed][t], t))
        group = [seed, *partners[: MAX_GROUP - 1]]
        taken.update(group)
        groups.append(sorted(group))
    return groups


def assign(docs: dict[int, dict[str, float]], groups: list[list[str]]) -> dict[int, int]:
    """Step 4: ticket id → index of its group (tickets matching none are left out)."""
    group_of = {term: index for index, group in enumerate(groups) for term in group}
    result = {}
    for tid, terms in docs.items():
        if not terms:
            continue
        heaviest = min(terms.items(), key=lambda tw: (-tw[1], tw[0]))[0]
        score: dict[int, float] = defaultdict(float)
        matched: Counter[int] = Counter()
        for term, weight in terms.items():
            index = group_of.get(term)
            if index is not None:
                score[index] += weight
                matched[index] += 1
        eligible = [i for i in score if matched[i] >= 2 or group_of.get(heaviest) == i]
        if eligible:
            result[tid] = min(eligible, key=lambda i: (-score[i], i))
    return result


def topics(docs: dict[int, dict[str, float]], *, min_count: int = 2) -> tuple[list[Topic], list[list[str]]]:
    """The topics of these tickets, biggest first, and the term groups that made them."""
    groups = group_terms(docs)
    assigned = assign(docs, groups)
    by_group: dict[int, list[int]] = defaultdict(list)
    for tid, index in assigned.items():
        by_group[index].append(tid)
    found = []
    for index, tids in by_group.items():
        if len(tids) < min_count:
            continue
        freq = Counter(term for tid in tids for term in docs[tid] if term in groups[index])
        keywords = [t for t, _ in sorted(freq.items(), key=lambda tf: (-tf[1], tf[0]))]
        found.append(Topic(keywords=keywords, ticket_ids=sorted(tids), group=index))
    found.sort(key=lambda t: (-t.count, t.keywords))
    return found, groups
