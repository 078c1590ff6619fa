"""Masking personal numbers inside free text (hotline.core.privacy): one implementation for
the API, the pages, exports, messages to units and the e-supervision connector."""

import pytest

from hotline.core.privacy import has_personal_number, mask_personal_numbers, scrub

MASKED = [
    ("回电13800138000谢谢", "回电138****8000谢谢"),
    ("电话：138 0013 8000", "电话：138 **** 8000"),
    ("手机138-0013-8000", "手机138-****-8000"),
    ("+86 13800138000", "+86 138****8000"),
    ("+8613800138000", "+86138****8000"),
    ("１３８００１３８０００", "１３８****８０００"),  # full-width, as typed
    ("座机0757-88886666", "座机075*-****6666"),
    ("（0757）88886666", "（075*）****6666"),
    ("(010)12345678", "(010)****5678"),
    ("075788886666", "075*****6666"),
    ("010-1234-5678", "010-****-5678"),
    ("家里电话88886666", "家里电话******66"),
    ("家里电话8888-6666", "家里电话****-**66"),
    ("身份证440681199001011234", "身份证440***********1234"),
    ("身份证44068119900101123X", "身份证440***********123X"),
    ("旧身份证440681900101123", "旧身份证440********1123"),
]

UNCHANGED = [
    "工单20261121-000001已派单",
    "2026-12-02T01:37:03.123456+00:00",
    "hl_ab13800138000cd",  # inside a token: not a number
    "共12345件，满意率98.5%",
    "金额1234567元",
    "",
]


@pytest.mark.parametrize(("typed", "shown"), MASKED)
def test_numbers_in_text_are_masked(typed, shown):
    assert mask_personal_numbers(typed) == shown
    assert has_personal_number(typed) and not has_personal_number(shown)


@pytest.mark.parametrize("text", UNCHANGED)
def test_other_digits_are_left_alone(text):
    assert mask_personal_numbers(text) == text
    assert not has_personal_number(text)


def test_scrub_masks_every_string_of_a_document_and_keeps_the_rest():
    doc = {"a": ["回电13800138000", 13800138000, None], "b": {"c": "身份证440681199001011234"}}
    assert scrub(doc) == {"a": ["回电138****8000", 13800138000, None], "b": {"c": "身份证440***********1234"}}
