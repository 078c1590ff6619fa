import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.core.phones import InvalidPhone, mask, normalise

pytestmark = pytest.mark.any_database  # see BOTH_DATABASES in tests/conftest.py


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13812341234", "13812341234"),
        ("138 1234 1234", "13812341234"),
        ("138-1234-1234", "13812341234"),
        ("１３８１２３４１２３４", "13812341234"),  # full-width digits
        ("+86 138 1234 1234", "13812341234"),
        ("+８６１３８１２３４１２３４", "13812341234"),
        ("0086 13812341234", "13812341234"),
        ("86 13812341234", "13812341234"),
        ("(0757) 8123-4567", "075781234567"),
        ("0757-81234567", "075781234567"),
        ("010 12345678", "01012345678"),
        ("+86 10 1234 5678", "01012345678"),
    ],
)
def test_every_shape_of_a_number_becomes_one_form(raw, expected):
    assert normalise(raw) == expected


def test_local_landline_gets_the_configured_area_code():
    assert normalise("81234567", area_code="0757") == "075781234567"
    with pytest.raises(InvalidPhone):
        normalise("81234567")


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "abc",
        "1381234123",
        "138123412345678",
        "12345678901",
        "+1 415 555 0100",
        "+852 9123 4567",
        "138\x001234",
        "1" * 30,
        "138１２３4１２３4x",
        "++8613812341234",
    ],
)
def test_invalid_numbers_are_refused(raw):
    with pytest.raises(InvalidPhone):
        normalise(raw)


def test_mask_shows_only_first_three_and_last_four():
    assert mask("13812341234") == "138****1234"
    assert mask("075781234567") == "075****4567"
    assert mask(None) is None


mobile = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)


@given(mobile, st.sampled_from(["", " ", "-"]), st.sampled_from(["", "+86", "0086", "+86 "]), st.booleans())
def test_normalising_is_stable_across_shapes(number, sep, prefix, fullwidth):
    from hotline.core.phones import InvalidPhone as Invalid

    try:
        canonical = normalise(number)
    except Invalid:
        return  # some prefixes are not assigned: refusing them is right
    shaped = prefix + sep.join([number[:3], number[3:7], number[7:]])
    if fullwidth:
        shaped = shaped.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert normalise(shaped) == canonical
    assert normalise(canonical) == canonical
