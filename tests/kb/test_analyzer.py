"""Analysis of real Chinese phrases: bigrams, the user dictionary, stop words, synonyms, snippets."""

import pytest

from knowledge_base import states
from knowledge_base.search.analyzer import BOUNDARY_WEIGHT, WORD_WEIGHT, HotlineTokenizer, normalise, terms
from knowledge_base.search.query import Synonyms, query_terms, snippet

pytestmark = pytest.mark.any_database  # see BOTH_DATABASES in tests/conftest.py


def _terms(text, **kw):
    return [t for t, _, _ in terms(text, **kw)]


def test_bigrams_cover_a_question_however_it_is_split():
    got = _terms("交不上社保")
    assert {"交不", "不上", "上社", "社保"} <= set(got)


def test_the_user_dictionary_makes_government_terms_whole_tokens():
    # Without our dictionary jieba splits these; with it they are single terms that match exactly.
    assert "老年人优待证" in _terms("我想办理老年人优待证")
    assert "不动产登记" in _terms("二手房不动产登记要多久")
    assert "营业执照" in _terms("个体户营业执照怎么办")
    assert "人力资源和社会保障局" in _terms("市人力资源和社会保障局的电话")
    assert "公积金贷款" in _terms("申请公积金贷款需要什么条件")


def test_question_words_and_particles_are_not_terms():
    got = set(_terms("请问我们公司应该怎么办理呢？"))
    assert not got & {"请问", "我们", "怎么", "应该", "么办", "理呢"}
    assert {"公司", "办理"} <= got
    assert _terms("的了吗呢") == []


def test_offsets_point_into_the_original_text_after_normalisation():
    text = "ＡＢＣ公司，社保12345"
    for term, start, end in terms(text):
        assert normalise(text[start:end]) == term
    assert ("abc", 0, 3) in list(terms(text)) and ("12345", 8, 13) in list(terms(text))
    assert normalise("ＡＢＣ１２３") == "abc123"


def test_punctuation_emoji_and_query_syntax_are_plain_text():
    assert _terms("😀！！？？***") == []
    assert _terms('title:社保 AND status:draft OR "*') == ["title", "社保", "and", "status", "draft", "or"]


def test_the_whoosh_tokenizer_yields_positions_and_characters():
    tokens = [
        (t.text, t.pos, t.startchar, t.endchar) for t in HotlineTokenizer()("医保报销", positions=True, chars=True)
    ]
    assert tokens[:3] == [("医保", 0, 0, 2), ("保报", 1, 1, 3), ("报销", 2, 2, 4)]


def test_synonyms_expand_a_question_at_half_weight():
    synonyms = Synonyms([["社保", "社会保险"], ["公积金", "住房公积金"]])
    weights = query_terms("交不上社保了", synonyms)
    assert weights["社保"] == 1 and weights["会保"] == 0.5 and weights["保险"] == 0.5
    # A member contained in another present member adds nothing: 住房公积金 contains 公积金.
    assert Synonyms([["公积金", "住房公积金"]]).expand("提取住房公积金") == []
    assert Synonyms([["公积金", "住房公积金"]]).expand("提取公积金") == ["住房公积金"]
    assert query_terms("   ", synonyms) == {}


def test_a_questions_bigrams_across_word_boundaries_and_its_long_words_weigh_less():
    weights = query_terms("失业保险金领取")
    assert weights["失业"] == weights["保险"] == weights["领取"] == 1.0  # inside one jieba word
    assert weights["金领"] == BOUNDARY_WEIGHT < 1  # across two words: mostly noise
    assert weights["失业保险金"] == WORD_WEIGHT < 1  # its bigrams already count it
    # The index's terms are the same, unweighted.
    assert set(_terms("失业保险金领取")) == set(weights)


def test_snippets_escape_the_text_and_mark_the_matches():
    body = "<script>alert(1)</script>企业可以申请缓缴社保费，缓缴期间免收滞纳金。"
    html = snippet(body, {"缓缴", "社保"})
    assert "<script" not in html and "</script" not in html and "&lt;/script&gt;" in html
    assert "&lt;script&gt;" in snippet(body, {"alert"})
    assert "<mark>缓缴社保</mark>" in html and "<mark>缓缴</mark>期间" in html  # adjacent matches merge
    assert html.replace("<mark>", "").replace("</mark>", "").count("<") == 0


def test_snippets_choose_the_window_with_the_most_terms():
    body = "无关内容。" * 60 + "灵活就业人员可以缴纳养老保险。" + "其他说明。" * 60
    html = snippet(body, {"灵活", "就业", "养老", "保险"}, width=60)
    assert "<mark>灵活就业</mark>" in html and html.startswith("…") and html.endswith("…")
    assert snippet("短文本", set()) == "短文本"


@pytest.mark.parametrize(
    ("status", "action", "expected"),
    [
        ("draft", "submit", "in_review"),
        ("in_review", "publish", "published"),
        ("in_review", "return", "draft"),
        ("published", "retire", "retired"),
        ("published", "update", "published"),
        ("draft", "publish", None),
        ("retired", "update", None),
        ("retired", "publish", None),
        ("published", "submit", None),
    ],
)
def test_the_workflow_table(status, action, expected):
    assert states.next_status(status, action) == expected


def test_allowed_actions():
    assert states.allowed_actions("retired") == []
    assert states.allowed_actions("in_review") == ["update", "publish", "return", "retire"]
