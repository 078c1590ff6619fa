"""The reply check (答复规范性检查): each rule on replies written for the tests, warn vs block
per request type (set on the supervisors' page, audited), nothing saved when refused, the
result stored with the reply and shown to supervisors only, and the reply form's JSON."""

import pytest
from sqlalchemy import func, select

from hotline.audit.models import AuditEvent
from hotline.extensions import db
from hotline.routing import replycheck
from hotline.tickets.models import Reply, Ticket

TICKET = "东湖路1号门口的路灯已经坏了一个星期，晚上很黑，请尽快维修。"
GOOD = (
    "您好！经现场核查，东湖路1号门口的路灯线路老化，我单位已安排人员更换线路，现已修复，路灯恢复照明。"
    "如有疑问请致电 0757-88886666。"
)
CALLER = "13900139000"


def _result(content, **kw):
    kw.setdefault("ticket_text", TICKET)
    kw.setdefault("allowed_numbers", [CALLER, "0757-88886666"])
    return replycheck.check(content, **kw)


def _codes(content, **kw):
    return _result(content, **kw).codes


@pytest.mark.any_database
def test_each_rule_passes_and_fails_on_hand_written_replies():
    assert _codes(GOOD) == []
    assert replycheck.check(GOOD, ticket_text=TICKET).on_topic >= replycheck.threshold(idf=False, semantic=False)
    # Placeholders: stock words and very short replies, reported alone.
    for stock in ("已处理", "收到。", "已办结！", "好的", "已处理完毕", "路灯修好了"):
        assert _codes(stock) == ["placeholder"], stock
    # About something else: the words of another ticket's reply.
    other = "您好！经现场核查，解放路菜市场的占道经营摊贩已被清理，现已恢复通行。如有疑问请致电 0757-88886666。"
    assert _codes(other) == ["off_topic"]
    assert replycheck.check(other, ticket_text=TICKET).on_topic < replycheck.threshold(idf=False, semantic=False)
    # Each missing element, the others present.
    assert _codes(GOOD.replace("您好！", "")) == ["no_salutation"]
    no_action = "您好！东湖路1号门口的路灯现已恢复照明，晚上不再黑了。如有疑问请致电 0757-88886666。"
    assert _codes(no_action) == ["no_action"]
    no_outcome = "您好！收到您反映的东湖路1号门口路灯坏了的问题，我单位正在核查线路。如有疑问请致电 0757-88886666。"
    assert _codes(no_outcome) == ["no_outcome"]
    assert _codes(GOOD.replace("如有疑问请致电 0757-88886666。", "")) == ["no_contact"]
    # Numbers: the caller's and a listed unit number (also without its area code) pass.
    assert _codes(GOOD.replace("0757-88886666", "8888 6666")) == []
    assert _codes(GOOD + f"我们已回电 {CALLER}。") == []
    # Another person's mobile, full-width digits, an identity number: caught, as typed.
    neighbour = replycheck.check(
        GOOD + "邻居张某电话１３８００１３８０００。", ticket_text=TICKET, allowed_numbers=[CALLER]
    )
    assert neighbour.codes == ["personal_number"] and "１３８００１３８０００" in neighbour.issues[0].message
    assert "0757-88886666" in neighbour.issues[0].message  # not a listed number here
    assert _codes(GOOD + "身份证号440101199001011234。") == ["personal_number"]
    assert _codes(GOOD + f"身份证号{CALLER}") == []
    # The messages are Chinese and every issue has its label.
    for issue in replycheck.check("收到", ticket_text=TICKET).issues:
        assert issue.as_dict()["label"] == "敷衍答复" and "已处理" in issue.message


def _reply_count(world, number):
    with world.app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.number == number))
        return db.session.scalar(select(func.count()).select_from(Reply).where(Reply.ticket_id == ticket.id))


def _web(app, username):
    web = app.test_client()
    assert web.post("/login", data={"username": username, "password": "password-123"}).status_code == 302
    return web


def test_warn_and_block_per_request_type_nothing_saved_when_refused(world, app):
    complaint = world.ticket("accepted", lead="DEPT-A", content=TICKET, request_type="complaint")
    help_ = world.ticket("accepted", lead="DEPT-A", content=TICKET, request_type="help")
    staff = world.client("staff_a")

    # The live check (API): the issues, the mode (warn by default), nothing saved.
    r = staff.post(f"/api/v1/tickets/{complaint}/reply-check", json={"content": "已处理"})
    assert r.status_code == 200 and r.json["mode"] == "warn"
    assert [i["code"] for i in r.json["issues"]] == ["placeholder"] and 0 <= r.json["on_topic"] <= 1
    assert staff.post(f"/api/v1/tickets/{complaint}/reply-check", json={"content": ""}).status_code == 422

    # Warn: refused until confirmed, each failed rule a field error; then saved with the result.
    r = staff.post(f"/api/v1/tickets/{complaint}/reply", json={"content": "已处理"})
    assert r.status_code == 422 and r.json["error"]["code"] == "reply_check_warnings"
    assert [(d["field"], d["code"]) for d in r.json["error"]["details"]] == [("content", "placeholder")]
    assert "已处理" in r.json["error"]["details"][0]["message_zh"]
    assert _reply_count(world, complaint) == 0
    r = staff.post(f"/api/v1/tickets/{complaint}/reply", json={"content": "已处理", "confirm_warnings": True})
    assert r.status_code == 200 and r.json["status"] == "replied"
    assert r.json["replies"][0]["check"] is None  # unit staff do not see it
    seen = world.client("supervisor").get(f"/api/v1/tickets/{complaint}").json["replies"][0]["check"]
    assert seen["mode"] == "warn" and seen["confirmed"] is True
    assert seen["issues"] == [{"code": "placeholder", "label": "敷衍答复"}]

    # A supervisor makes help requests block, on the page; the change is audited.
    sup = _web(app, "supervisor")
    page = sup.get("/supervision/reply-check")
    assert page.status_code == 200 and "阻止保存" in page.get_data(as_text=True)
    assert sup.post("/supervision/reply-check", data={"help": "sideways"}).status_code == 422
    assert sup.post("/supervision/reply-check", data={"help": "block", "complaint": "warn"}).status_code == 303
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "reply_check.mode_changed")).all()
        assert [(e.object_id, e.data) for e in events] == [("help", {"from": "warn", "to": "block"})]

    # Block: refused even when confirmed, nothing saved; on the page too (422, Chinese, kept text).
    r = staff.post(f"/api/v1/tickets/{help_}/reply", json={"content": "收到", "confirm_warnings": True})
    assert r.status_code == 422 and r.json["error"]["code"] == "reply_check_blocked"
    unit = _web(app, "staff_a")
    page = unit.post(f"/tickets/{help_}/reply", data={"content": "收到", "confirm_warnings": "true"})
    text = page.get_data(as_text=True)
    assert page.status_code == 422 and "答复未通过规范性检查" in text and "敷衍答复" in text
    assert 'id="reply-confirm" hidden' in text  # confirming cannot save a blocked reply: not offered
    assert _reply_count(world, help_) == 0
    assert unit.post(f"/ui/tickets/{help_}/reply-check", data={"content": "收到"}).json["mode"] == "block"
    # A reply that passes is saved under block, its clean result stored.
    # (0757-88886666 is no unit's listed number here: it would be another person's.)
    assert "含他人号码" in unit.post(f"/tickets/{help_}/reply", data={"content": GOOD}).get_data(as_text=True)
    good = GOOD.replace(" 0757-88886666", "本单位")
    assert unit.post(f"/tickets/{help_}/reply", data={"content": good}).status_code == 303
    with app.app_context():
        stored = db.session.scalars(select(Reply).order_by(Reply.id.desc())).first().check_result
        assert (
            stored["issues"] == [] and stored["mode"] is None and stored["confirmed"] is False
        )  # mode not read: passed
    assert "答复检查：通过" in sup.get(f"/tickets/{help_}").get_data(as_text=True)


# -- how on topic: the history's weights and the semantic side ---------------------------------

LAMP = "东湖路的路灯坏了，晚上很黑。您好，我反映这个问题。"


def _history():
    """A centre's history: every ticket greets and 反映 a 问题; 路灯 is in two of them."""
    from hotline.routing import learning

    things = ["路灯不亮", "路灯闪烁", "噪音扰民", "垃圾没清", "井盖松动", "道路积水", "广告牌歪", "绿地被占"]
    return learning.train(
        [
            learning.Example(text=f"您好，我反映一个问题：{thing}，请处理。", category="city" if i % 2 else "road")
            for i, thing in enumerate(things)
        ]
    )


@pytest.mark.any_database
def test_the_history_weights_a_rare_word_over_the_words_every_ticket_has():
    idf = _history().term_idf()
    assert idf("问题") < idf("路灯") < idf("从未") == idf("见过")  # never seen: the rarest
    common = "您好，您反映的问题已收悉，我们会尽快反映给相关部门。"  # shares 您好/反映/问题
    rare = "路灯已更换灯具。"  # shares 路灯 only
    # Counted as they occur (every bigram alike), the formula words win; weighted, the rare word.
    assert replycheck.lexical_on_topic(common, LAMP, lambda _: 1.0) > replycheck.lexical_on_topic(
        rare, LAMP, lambda _: 1.0
    )
    assert replycheck.lexical_on_topic(common, LAMP, idf) < replycheck.lexical_on_topic(rare, LAMP, idf)
    # With no history, the formula bigrams are left out altogether.
    assert replycheck.lexical_on_topic(common, LAMP) == 0.0


@pytest.mark.any_database
def test_on_topic_combines_its_sides_and_each_measure_has_its_threshold():
    assert replycheck.combine(0.2, None) == 0.2
    assert replycheck.combine(0.2, 0.8) == pytest.approx(0.7 * 0.8 + 0.3 * 0.2)
    assert replycheck.combine(0.2, -0.1) == pytest.approx(0.3 * 0.2)  # a negative cosine counts as none
    # The semantic side reads the reply without its opening formula.
    ticket, reply = replycheck.semantic_texts(
        "网友您好！您的留言已收悉。现将有关情况回复如下：\n经查，路灯已修复。", LAMP
    )
    assert reply == "经查，路灯已修复。" and ticket == LAMP
    assert replycheck.semantic_texts("路灯已修复。", LAMP)[1] == "路灯已修复。"
    # The same lexical score passes or fails by what the semantic side says, under its threshold.
    close = _result(GOOD, semantic=0.9)
    far = _result(GOOD, semantic=0.1)
    assert close.measure == "bigram+semantic" and close.codes == []
    assert far.codes == ["off_topic"] and far.on_topic < replycheck.threshold(idf=False, semantic=True)
    weighted = _result(GOOD, idf=_history().term_idf())
    assert weighted.measure == "tfidf" and weighted.codes == []
    assert len({replycheck.measure(idf=i, semantic=s) for i in (False, True) for s in (False, True)}) == 4


@pytest.mark.postgresql  # also there: the scores kept in Redis (in the process on SQLite)
def test_the_check_uses_the_history_and_keeps_the_semantic_score(world, app, monkeypatch):
    """The reply check as unit staff use it: weighted by the centre's dispatch model, with the
    semantic side when the model is on; the semantic score is computed once for a text
    checked as it is typed and then sent (kept in Redis, or in the process without it), and
    saving a reply never computes it."""
    from hotline.routing import reply_rules
    from knowledge_base.search import semantic

    number = world.ticket("accepted", lead="DEPT-A", content=TICKET, request_type="help")
    staff = world.client("staff_a")
    good = GOOD.replace(" 0757-88886666", "本单位")  # no unit's listed number here
    r = staff.post(f"/api/v1/tickets/{number}/reply-check", json={"content": good})
    assert r.status_code == 200 and r.json["issues"] == []
    lexical_only = r.json["on_topic"]

    trained = _history()
    monkeypatch.setattr(reply_rules, "current_model", lambda: trained)
    asked = []

    def similarity(query, passage, *, tokens):
        asked.append((query, passage, tokens))
        return 0.2  # far: the reply fails, on the semantic side

    monkeypatch.setattr(semantic, "similarity", similarity)
    app.config["KB_SEMANTIC"] = True
    content = good.replace("东湖路1号门口的路灯", "那里的设施")
    for _ in range(2):
        r = staff.post(f"/api/v1/tickets/{number}/reply-check", json={"content": content})
        assert r.status_code == 200 and [i["code"] for i in r.json["issues"]] == ["off_topic"]
    assert len(asked) == 1 and asked[0][2] == replycheck.SEMANTIC_TOKENS  # the second came from the cache
    r = staff.post(f"/api/v1/tickets/{number}/reply", json={"content": content, "confirm_warnings": True})
    assert r.status_code == 200 and len(asked) == 1
    with app.app_context():
        stored = db.session.scalars(select(Reply).order_by(Reply.id.desc())).first().check_result
    assert stored["measure"] == "tfidf+semantic" and stored["issues"] == ["off_topic"] and stored["confirmed"]
    assert stored["on_topic"] != lexical_only
    # Saving a reply never checked before does not wait for the model: its lexical measure.
    other = world.ticket("accepted", lead="DEPT-A", content=TICKET, request_type="help")
    r = staff.post(f"/api/v1/tickets/{other}/reply", json={"content": good + "谢谢。"})
    assert r.status_code == 200 and len(asked) == 1
    with app.app_context():
        stored = db.session.scalars(select(Reply).order_by(Reply.id.desc())).first().check_result
    assert stored["measure"] == "tfidf" and stored["issues"] == []


def test_the_real_model_tells_an_answer_from_another_tickets():
    """The semantic side with the knowledge base's model: the ticket's own reply is closer
    than a reply about something else, with no word of the ticket in either."""
    from knowledge_base.search import semantic

    assert semantic.load()
    ticket = "小区门口的路灯坏了一个星期，晚上出门很不安全，希望尽快修好。"
    own = "经现场核查，该处照明设施线路故障，维修人员已更换灯具，现已恢复夜间照明。"
    other = "经调查，该商户已补办营业执照，市场监管部门将持续跟踪其经营情况。"
    close = semantic.similarity(ticket, own, tokens=replycheck.SEMANTIC_TOKENS)
    far = semantic.similarity(ticket, other, tokens=replycheck.SEMANTIC_TOKENS)
    assert close > far
    assert semantic.similarity(ticket, "", tokens=replycheck.SEMANTIC_TOKENS) is None


def test_a_busy_model_does_not_hold_the_check(monkeypatch):
    """The model busy (a batch of articles embedded in this process): the check goes on
    without its semantic side after the timeout instead of waiting."""
    import threading

    from knowledge_base.search import semantic

    assert semantic.load()
    release = threading.Event()
    monkeypatch.setattr(semantic, "_similarity_now", lambda *args: release.wait(30) and 0.9)
    try:
        assert semantic.similarity("路灯坏了", "路灯已修复", tokens=8, timeout=0.05) is None
    finally:
        release.set()
