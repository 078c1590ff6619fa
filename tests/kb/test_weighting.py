"""The numpy scorer (knowledge_base.search.weighting) against Whoosh's own search.

The product ranks with ``weighting.top_n`` instead of ``searcher.search``; these tests hold
it to Whoosh's answer, score for score and in the same order (ties included), on an index
of several segments with deleted and replaced documents.
"""

import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from whoosh import query as wq
from whoosh.filedb.filestore import FileStorage

from knowledge_base.search import weighting
from knowledge_base.search.analyzer import ensure_jieba, terms
from knowledge_base.search.index import WEIGHTING
from knowledge_base.search.schema import CONTENT, make_schema

pytestmark = pytest.mark.any_database  # see BOTH_DATABASES in tests/conftest.py

WORDS = [
    "社保", "缴费", "养老保险", "公积金", "提取", "医保", "报销", "营业执照", "办理",
    "居住证", "补办", "失业", "生育", "退休", "转移", "不动产登记", "老年人优待证", "abc",
]  # fmt: skip
TERMS = sorted({term for word in WORDS for term, _, _ in terms(word)})


@pytest.fixture(scope="module")
def searcher(tmp_path_factory):
    ensure_jieba(tmp_path_factory.mktemp("jieba"))
    rng = random.Random(12345)
    storage = FileStorage(str(tmp_path_factory.mktemp("index")), supports_mmap=False)
    ix = storage.create_index(make_schema())

    def doc(i, words):
        return {"id": str(i), "status": "draft" if i % 7 == 0 else "published", "content": "，".join(words)}

    docs = [doc(i, rng.choices(WORDS, k=rng.randint(1, 30))) for i in range(900)]
    for start in (0, 300, 600):  # three segments
        writer = ix.writer()
        for d in docs[start : start + 300]:
            writer.add_document(**d)
        writer.commit(merge=False)
    writer = ix.writer()  # deletions in every segment, and replaced documents
    for i in range(0, 900, 13):
        writer.delete_by_term("id", str(i))
    for i in (5, 305, 605):
        writer.update_document(**doc(i, ["社保", "缴费"] * 3))
    writer.commit(merge=False)
    with ix.searcher(weighting=WEIGHTING) as s:
        assert len(s.leaf_searchers()) >= 3 and s.doc_count() < s.doc_count_all()
        yield s


def allowed(searcher, where):
    mask = np.zeros(searcher.doc_count_all(), dtype=bool)
    mask[list(searcher.docs_for_query(where))] = True
    return mask


def whoosh_top(searcher, query, mask, limit):
    return searcher.search(query, limit=limit, filter=set(np.flatnonzero(mask).tolist())).top_n


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    chosen=st.lists(
        st.tuples(st.sampled_from(TERMS), st.sampled_from([1.0, 0.7, 0.5, 1.4, 2.1])),
        min_size=1,
        max_size=12,
        unique_by=lambda pair: pair[0],
    ),
    limit=st.sampled_from([1, 3, 10, 25, 1000]),
    only_published=st.booleans(),
)
def test_the_same_documents_scores_and_order_as_whoosh(searcher, chosen, limit, only_published):
    query = wq.Or([wq.Term(CONTENT, term, boost=boost) for term, boost in chosen])
    where = wq.Term("status", "published") if only_published else wq.Every()
    mask = allowed(searcher, where)
    assert weighting.top_n(searcher, query, mask, limit) == whoosh_top(searcher, query, mask, limit)


def test_a_single_term_and_a_term_no_document_has(searcher):
    mask = allowed(searcher, wq.Every())
    for query in (wq.Term(CONTENT, "社保"), wq.Or([wq.Term(CONTENT, "社保"), wq.Term(CONTENT, "火星")])):
        assert weighting.top_n(searcher, query, mask, 10) == whoosh_top(searcher, query, mask, 10)
    assert weighting.top_n(searcher, wq.Term(CONTENT, "火星"), mask, 10) == []


def test_the_filter_is_obeyed_and_deleted_documents_never_come_back(searcher):
    mask = allowed(searcher, wq.Term("status", "published"))
    query = wq.Or([wq.Term(CONTENT, t) for t in TERMS])
    found = weighting.top_n(searcher, query, mask, 100_000)
    stored = [searcher.stored_fields(docnum)["id"] for _, docnum in found]
    assert found and all(int(i) % 7 and int(i) % 13 for i in stored)
    assert len(stored) == len(set(stored))  # a replaced document only once, its new version


def test_field_lengths_are_read_in_one_go_as_whoosh_reads_them_one_by_one(searcher):
    for leaf, _ in searcher.leaf_searchers():
        reader = leaf.reader()
        expected = [reader.doc_field_length(d, CONTENT, 1) for d in range(reader.doc_count_all())]
        assert weighting.field_lengths(leaf, CONTENT) == expected


def test_other_queries_are_left_to_whoosh(searcher):
    mask = allowed(searcher, wq.Every())
    with pytest.raises(weighting.Unsupported):
        weighting.top_n(searcher, wq.And([wq.Term(CONTENT, "社保"), wq.Term(CONTENT, "缴费")]), mask, 10)
    with pytest.raises(weighting.Unsupported):
        weighting.top_n(searcher, wq.Or([wq.Prefix(CONTENT, "社")]), mask, 10)


def test_cached_postings_never_outlive_a_change_to_the_index(tmp_path):
    ensure_jieba(tmp_path / "jieba")
    (tmp_path / "index").mkdir()
    ix = FileStorage(str(tmp_path / "index"), supports_mmap=False).create_index(make_schema())
    with ix.writer() as writer:
        for i in range(40):
            writer.add_document(id=str(i), status="published", content="社保缴费" * (1 + i % 3))
    query = wq.Or([wq.Term(CONTENT, "社保"), wq.Term(CONTENT, "缴费"), wq.Term(CONTENT, "公积")])

    def both():
        with ix.searcher(weighting=WEIGHTING) as s:
            mask = allowed(s, wq.Every())
            return weighting.top_n(s, query, mask, 100), whoosh_top(s, query, mask, 100)

    ours, whoosh = both()
    assert ours == whoosh and len(ours) == 40
    with ix.writer() as writer:  # replace some, delete some, add a new term
        for i in range(0, 40, 3):
            writer.update_document(id=str(i), status="published", content="公积金提取" + "社保" * i)
        writer.delete_by_term("id", "1")
    ours, whoosh = both()
    assert ours == whoosh and len(ours) == 39
    writer = ix.writer()
    writer.add_document(id="new", status="published", content="公积金")
    writer.commit(optimize=True)  # everything merged into one new segment
    ours, whoosh = both()
    assert ours == whoosh and len(ours) == 40
    assert weighting.POSTINGS.get(("no such segment", CONTENT, "社保")) is None
