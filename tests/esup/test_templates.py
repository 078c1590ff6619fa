"""Templates: the defaults are valid; edits with unknown or unsafe placeholders are refused."""

import pytest

from hotline.notifications import templates


@pytest.mark.parametrize("code", sorted(templates.DEFAULTS))
def test_every_default_template_passes_its_own_check(code):
    spec = templates.DEFAULTS[code]
    templates.check(code, channel=spec.channel, subject=spec.subject, body=spec.body)
    templates.check(code, channel="email", subject=spec.subject, body=spec.body)
    assert set(templates.placeholders_in(spec.body)) <= spec.placeholders
    # Every message names what it is about: a ticket, a knowledge-base article, or the web
    # form's one-time code.
    assert {"ticket_number", "article_title", "code"} & set(templates.placeholders_in(spec.body))


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("工单{ticket_number}，来电人{caller_phone}", "caller_phone"),
        ("{ticket.__class__}", "plain"),
        ("{ticket_number!r}", "plain"),
        ("{ticket_number:>20}", "plain"),
        ("{0}", "plain"),
        ("{}", "plain"),
        ("工单{ticket_number", "braces"),
        ("工单}", "braces"),
    ],
)
def test_unknown_or_unsafe_placeholders_are_refused(body, fragment):
    with pytest.raises(templates.TemplateError) as info:
        templates.check("unit_urge", channel="sms", subject=None, body=body)
    assert info.value.field == "body"
    assert fragment in info.value.message


def test_a_placeholder_of_another_template_is_unknown_here():
    # head_name belongs to the red-card message to a unit's head, not to a citizen's confirmation.
    templates.check("head_red_card", channel="sms", subject=None, body="{head_name}：{ticket_number}")
    with pytest.raises(templates.TemplateError, match="head_name"):
        templates.check("citizen_confirmation", channel="sms", subject=None, body="{head_name}：{ticket_number}")


def test_subject_is_checked_and_required_for_email():
    with pytest.raises(templates.TemplateError) as info:
        templates.check("unit_urge", channel="email", subject="", body="工单{ticket_number}")
    assert info.value.field == "subject"
    with pytest.raises(templates.TemplateError) as info:
        templates.check("unit_urge", channel="email", subject="{secret}", body="工单{ticket_number}")
    assert info.value.field == "subject"
    with pytest.raises(templates.TemplateError, match="at most 500"):
        templates.check("unit_urge", channel="sms", subject=None, body="长" * 501)
    templates.check("unit_urge", channel="email", subject="催办：{ticket_number}", body="长" * 501)


def test_render_fills_placeholders_and_keeps_literal_braces():
    text = "【12345】{{通知}} 工单{ticket_number}，{note}"
    assert templates.render(text, {"ticket_number": "20261121-000001"}) == "【12345】{通知} 工单20261121-000001，"
