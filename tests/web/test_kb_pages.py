"""The knowledge base in a real browser: answering on the call, search, 纠错, the editors' desk."""

import pytest

from hotline.tickets.models import Ticket

pytestmark = pytest.mark.browser

PENSION = (
    "退休后养老金怎么领取",
    "达到法定退休年龄且养老保险累计缴费满15年的，可到人社局服务大厅或网上办事大厅申请按月领取基本养老金。",
)


def test_operator_answers_a_call_with_a_suggested_article(sign_in, page, world, app):
    article_id = world.article(title=PENSION[0], body=PENSION[1])
    sign_in("operator")
    page.click("text=登记来电")
    page.fill("#caller_phone", "13800138000")
    page.select_option("#category", "SOC.PEN")
    page.fill("#content", "我父亲明年退休，养老金要怎么领？")
    page.wait_for_selector("#kb-suggestions ol.suggestions li")
    first = page.locator("#kb-suggestions li").first
    assert PENSION[0] in first.inner_text()
    assert first.locator("mark").count() >= 1  # the matched words are highlighted
    first.locator("button.use-article").click()
    assert page.input_value("#article_id") == str(article_id)
    assert "网上办事大厅" in page.input_value("#answer")
    page.click("button[value=answer]")
    page.wait_for_load_state("networkidle")
    assert page.locator(".ticket-head .badge").first.inner_text() == "已办结"
    assert f"#{article_id}" in page.locator(".facts").first.inner_text()
    with app.app_context():
        assert Ticket.query.one().answer_article_id == article_id


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
