"""The knowledge base in a real browser: answering on the call, search, 纠错, the editors' desk."""

from urllib.parse import parse_qs, urlsplit

import pytest

from hotline.tickets.models import Ticket
from knowledge_base.models import Flag

pytestmark = [pytest.mark.browser, pytest.mark.any_database]

PENSION = (
    "退休后养老金怎么领取",
    "达到法定退休年龄且养老保险累计缴费满15年的，可到人社局服务大厅或网上办事大厅申请按月领取基本养老金。",
)


def _first_suggestion_on_a_new_call(page):
    """Start recording a call about a pension; the first article suggested for it."""
    page.click("text=登记来电")
    page.fill("#caller_phone", "13800138000")
    page.select_option("#category", "SOC.PEN")
    page.fill("#content", "我父亲明年退休，养老金要怎么领？")
    page.wait_for_selector("#kb-suggestions ol.suggestions li")
    return page.locator("#kb-suggestions li").first


def _search(url):
    """A search page's path and filters, blank ones left out (the form sends them, the redirect does not)."""
    parts = urlsplit(url)
    assert parts.path == "/kb"
    return parse_qs(parts.query)


def test_operator_answers_a_call_with_a_suggested_article(sign_in, page, world, app):
    article_id = world.article(title=PENSION[0], body=PENSION[1])
    sign_in("operator")
    first = _first_suggestion_on_a_new_call(page)
    assert PENSION[0] in first.inner_text()
    assert first.locator("mark").count() >= 1  # the matched words are highlighted
    first.locator("button.use-article").click()
    assert page.input_value("#article_id") == str(article_id)
    assert "网上办事大厅" in page.input_value("#answer")
    page.click("button[value=answer]")
    page.wait_for_load_state("networkidle")
    assert page.locator(".ticket-head .badge").first.inner_text() == "已办结"
    assert PENSION[0] in page.locator(".facts").first.inner_text()  # the article by its title
    with app.app_context():
        assert Ticket.query.one().answer_article_id == article_id


def test_operator_flags_a_suggestion_and_the_ticket_being_typed_stays(sign_in, page, world, app):
    article_id = world.article(title=PENSION[0], body=PENSION[1])
    console = []
    page.on("console", lambda message: console.append(message.text))
    sign_in("operator")
    first = _first_suggestion_on_a_new_call(page)
    first.locator("details.kb-flag summary").click()
    first.locator("input[name=kind][value=outdated]").check()
    first.locator("details.kb-flag button[type=submit]").click()  # no note yet
    first.locator(".field-error").wait_for(state="visible")
    assert first.locator(".field-error").inner_text() == "纠错未提交。说明：不能为空"
    with app.app_context():
        assert Flag.query.count() == 0
    first.locator("textarea[name=note]").fill("网上办事大厅已改名为政务服务网")
    first.locator("details.kb-flag button[type=submit]").click()
    first.locator(".flag-done").wait_for()
    assert first.locator(".flag-done").inner_text() == "已提交纠错，知识库编辑将核实处理。"
    # Still on the intake form, as it was typed; the ticket is then recorded as usual.
    assert urlsplit(page.url).path == "/tickets/new"
    assert page.input_value("#caller_phone") == "13800138000"
    assert page.input_value("#content") == "我父亲明年退休，养老金要怎么领？"
    assert not [m for m in console if "Content Security Policy" in m]
    page.click("button[value=save]")
    page.wait_for_load_state("networkidle")
    with app.app_context():
        assert Ticket.query.one().content == "我父亲明年退休，养老金要怎么领？"
        flag = Flag.query.one()
        assert (flag.article_id, flag.kind, flag.note) == (article_id, "outdated", "网上办事大厅已改名为政务服务网")


def test_a_session_that_ends_while_typing_is_said_so_and_the_form_stays(sign_in, page, world, app):
    """Signed out in the meantime (timeout, another tab): the suggestions, the caller's history
    and a 纠错 say so, instead of 'unavailable', and nothing typed is lost."""
    world.article(title=PENSION[0], body=PENSION[1])
    sign_in("operator")
    first = _first_suggestion_on_a_new_call(page)
    first.locator("details.kb-flag summary").click()
    first.locator("input[name=kind][value=outdated]").check()
    first.locator("textarea[name=note]").fill("已改名")
    page.context.clear_cookies()
    first.locator("details.kb-flag button[type=submit]").click()
    first.locator(".field-error").wait_for(state="visible")
    # The form's CSRF token went with the session: the page is said to have expired.
    assert first.locator(".field-error").inner_text() == "页面已过期，请刷新后重试。"
    page.fill("#content", "我父亲明年退休，养老金要怎么领？请问在哪里办理")
    # The suggestions are a POST too (text of any length): its CSRF token went with the session.
    page.locator("#kb-suggestions", has_text="页面已过期").wait_for()
    page.fill("#caller_phone", "13900139000")
    # The caller's history is a POST (the number stays out of the URL): its CSRF token went too.
    page.locator("#caller-history", has_text="页面已过期，请刷新后重试。").wait_for()
    assert page.input_value("#content") == "我父亲明年退休，养老金要怎么领？请问在哪里办理"
    with app.app_context():
        assert Flag.query.count() == 0


def test_search_page_highlights_and_never_runs_article_html(sign_in, page, live_server, world):
    world.article(
        title="社保卡补办", body="社保卡丢失可到银行网点补办。<script>document.title='hacked'</script><b>粗体</b>"
    )
    sign_in("dispatcher")
    page.click("text=知识库")
    page.fill("#kb-q", "社保卡丢了去哪里补办")
    page.click("form[role=search] button[type=submit]")
    page.wait_for_load_state("networkidle")
    result = page.locator("#kb-results .kb-result").first
    assert "社保卡补办" in result.inner_text()
    assert result.locator("mark").count() >= 1
    assert result.locator("script, b").count() == 0  # the article's markup is shown as text
    assert page.title() != "hacked"
    # Query syntax typed by a citizen is just words.
    page.fill("#kb-q", 'title:社保 AND "未闭合 *')
    page.click("form[role=search] button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator("#kb-results").count() == 1


def test_flag_an_article_and_the_editor_resolves_it(sign_in, page, live_server, world):
    article_id = world.article()
    sign_in("operator")
    page.goto(f"{live_server}/kb/articles/{article_id}")
    page.check("input[name=kind][value=outdated]")
    page.fill("#flag-note", "银行网点名单已更新")
    page.click("#flag button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "已提交纠错" in page.locator(".flash").inner_text()
    assert page.locator("#editor-actions").count() == 0  # operators do not edit

    sign_in("kb_editor")
    page.goto(f"{live_server}/kb/flags")
    assert "银行网点名单已更新" in page.locator("#flags").inner_text()
    page.fill("#flags input[name=resolution]", "已更新网点名单")
    page.click("#flags button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "没有待处理的纠错" in page.locator("#flags").inner_text()


def test_operator_flags_a_search_result_without_leaving_the_results(sign_in, page, live_server, world, app):
    article_id = world.article(
        title="居住证办理", body="在本市居住半年以上的，可持身份证到社区警务室申领居住证。", owner_unit="DEPT-A"
    )
    world.article(
        title="居住证续签", body="居住证有效期一年，期满前三十日内到社区警务室续签居住证。", owner_unit="DEPT-B"
    )
    console = []
    page.on("console", lambda message: console.append(message.text))
    sign_in("operator")
    page.click("text=知识库")
    assert page.locator("#kb-status").count() == 0  # operators see published articles only
    page.fill("#kb-q", "外地人怎么办居住证")
    page.select_option("#kb-owner-unit", "DEPT-A")
    page.click("form[role=search] button[type=submit]")
    page.wait_for_load_state("networkidle")
    results = page.locator("#kb-results .kb-result")
    assert results.count() == 1 and "居住证办理" in results.first.inner_text()  # the unit narrows the results
    search_url = page.url

    flag = page.locator(f"#flag-{article_id}")
    assert not flag.locator("textarea").is_visible()  # folded until asked for
    flag.locator("summary").click()
    flag.locator("input[name=kind][value=wrong]").check()
    flag.locator("button[type=submit]").click()  # no note yet
    page.wait_for_load_state("networkidle")
    assert "说明：不能为空" in page.locator(".flash-error").inner_text()
    flag = page.locator(f"#flag-{article_id}")
    assert flag.locator("textarea").is_visible() and flag.locator(".field-error").inner_text() == "不能为空"
    assert "居住证办理" in page.locator("#kb-results").inner_text()  # still the same results
    with app.app_context():
        assert Flag.query.count() == 0

    flag.locator("textarea").fill("申领地点已改为街道便民服务中心")
    flag.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert "已提交纠错：「居住证办理」" in page.locator(".flash-success").inner_text()
    assert _search(page.url) == _search(search_url) == {"q": ["外地人怎么办居住证"], "owner_unit": ["DEPT-A"]}
    assert page.input_value("#kb-q") == "外地人怎么办居住证"
    assert page.input_value("#kb-owner-unit") == "DEPT-A"
    assert page.locator("#kb-results .kb-result").count() == 1
    assert not [m for m in console if "Content Security Policy" in m]  # no inline style or script

    sign_in("kb_editor")
    page.goto(f"{live_server}/kb/flags")
    row = page.locator("#flags tbody tr").first
    assert "居住证办理" in row.inner_text() and "内容有误" in row.inner_text()
    assert "申领地点已改为街道便民服务中心" in row.inner_text()


def test_editor_writes_another_publishes_and_operators_find_it(sign_in, page, live_server, world):
    sign_in("kb_editor")
    page.goto(f"{live_server}/kb/articles/new")
    page.fill("#title", "老年人优待证办理")
    page.fill("#body", "年满60周岁的本市户籍老年人，可持身份证到社区服务中心申办老年人优待证，当场制证。")
    page.fill("#keywords", "优待证，老年人")
    page.fill("#review_by", "2027-06-30")
    page.click("#article-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator(".ticket-head .badge").inner_text() == "草稿"
    page.click("#wf-submit")
    page.wait_for_load_state("networkidle")
    assert page.locator(".ticket-head .badge").inner_text() == "待审核"
    assert page.locator("#wf-publish").count() == 0  # the author may not publish it
    article_url = page.url

    sign_in("operator")
    assert page.goto(article_url).status == 404  # not published: invisible to operators

    sign_in("admin")
    page.goto(article_url)
    page.click("#wf-publish")
    page.wait_for_load_state("networkidle")
    assert page.locator(".ticket-head .badge").inner_text() == "已发布"

    sign_in("operator")
    page.goto(f"{live_server}/kb?q=老人优待证在哪里办")
    assert "老年人优待证办理" in page.locator("#kb-results").inner_text()


def test_a_synonym_added_by_an_editor_takes_effect_at_once(sign_in, page, live_server, world):
    world.article(title="灵活就业人员参保", body="灵活就业人员可以个人身份参加职工养老保险。")
    sign_in("kb_editor")
    page.goto(f"{live_server}/kb?q=打零工")
    assert "灵活就业人员参保" not in page.locator("#kb-results").inner_text()
    page.goto(f"{live_server}/kb/synonyms")
    page.fill("#terms", "打零工 灵活就业")
    page.click("aside button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "打零工、灵活就业" in page.locator("#synonym-groups").inner_text()
    page.goto(f"{live_server}/kb?q=打零工")
    assert "灵活就业人员参保" in page.locator("#kb-results").inner_text()


def test_unit_staff_are_refused_the_knowledge_base(sign_in, page, live_server, world):
    sign_in("staff_a")
    assert page.goto(f"{live_server}/kb").status == 403
    assert "知识库" not in page.locator("nav.nav").inner_text()
