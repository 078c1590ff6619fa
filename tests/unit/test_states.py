"""The state table, exhaustively: every (status, action) pair, written out independently."""

import pytest

from hotline.tickets import states
from hotline.tickets.states import Action as A
from hotline.tickets.states import Status as S

pytestmark = pytest.mark.any_database  # see BOTH_DATABASES in tests/conftest.py

OPEN = [S.NEW, S.PENDING_DISPATCH, S.DISPATCHED, S.ACCEPTED, S.RETURNED, S.REPLIED]

# The brief's table, written independently of states.py.
EXPECTED = {
    (S.NEW, A.ANSWER): S.CLOSED,
    (S.NEW, A.SUBMIT): S.PENDING_DISPATCH,
    (S.PENDING_DISPATCH, A.DISPATCH): S.DISPATCHED,
    (S.RETURNED, A.DISPATCH): S.DISPATCHED,
    (S.DISPATCHED, A.ACCEPT): S.ACCEPTED,
    (S.DISPATCHED, A.RETURN): S.RETURNED,
    (S.ACCEPTED, A.RETURN): S.RETURNED,
    (S.ACCEPTED, A.REPLY): S.REPLIED,
    (S.ACCEPTED, A.REQUEST_EXTENSION): S.ACCEPTED,
    (S.ACCEPTED, A.DECIDE_EXTENSION): S.ACCEPTED,
    (S.REPLIED, A.CALLBACK): S.CLOSED,
    (S.REPLIED, A.REOPEN): S.DISPATCHED,
    **{(s, A.MERGE): S.MERGED for s in OPEN},
    **{(s, A.URGE): s for s in OPEN},
    **{(s, A.SUPERVISE): s for s in OPEN},
    **{(s, A.NOTE): s for s in [*OPEN, S.CLOSED]},
}

PAIRS = [(s, a) for s in S for a in A]


@pytest.mark.parametrize(("status", "action"), PAIRS, ids=[f"{s.value}-{a.value}" for s, a in PAIRS])
def test_every_status_action_pair(status, action):
    if (status, action) in EXPECTED:
        assert states.next_status(status, action) is EXPECTED[(status, action)]
        assert action in states.allowed_actions(status)
    else:
        with pytest.raises(states.TransitionRefused):
            states.next_status(status, action)
        assert action not in states.allowed_actions(status)


def test_table_has_nothing_more_than_the_brief():
    assert set(states.TRANSITIONS) == set(EXPECTED)


def test_final_states_allow_no_movement():
    for action in A:
        if action is A.NOTE:
            continue
        for final in (S.CLOSED, S.MERGED):
            assert (final, action) not in states.TRANSITIONS


def test_reopen_is_not_an_api_action():
    assert A.REOPEN not in states.API_ACTIONS
    assert set(states.API_ACTIONS) == set(A) - {A.REOPEN}


def test_every_status_and_action_has_a_chinese_label():
    assert set(states.STATUS_LABELS) == set(S)
    assert set(states.ACTION_LABELS) == set(A)
