"""Every (state, action) pair through the API: allowed ones move the ticket, the others
are refused with 409 and change nothing."""

import pytest

from hotline.tickets import states
from hotline.tickets.states import Action as A

pytestmark = pytest.mark.any_database  # see BOTH_DATABASES in tests/conftest.py

# Factory states → the ticket status they produce.
STATES = {
    "new": "new",
    "pending_dispatch": "pending_dispatch",
    "dispatched": "dispatched",
    "accepted": "accepted",
    "returned": "returned",
    "replied": "replied",
    "closed": "closed",
    "merged": "merged",
}

# Who may do each action (whatever the state), and a valid body.
ACTOR_AND_BODY = {
    A.ANSWER: ("operator", {"answer": "已解答"}),
    A.SUBMIT: ("operator", {}),
    A.DISPATCH: ("dispatcher", {"lead_unit": "DEPT-A"}),
    A.ACCEPT: ("staff_a", {}),
    A.RETURN: ("staff_a", {"reason": "非本单位职责"}),
    A.REPLY: ("staff_a", {"content": "已办理", "confirm_warnings": True}),
    A.REQUEST_EXTENSION: ("staff_a", {"hours": 24, "reason": "需核查"}),
    A.DECIDE_EXTENSION: ("supervisor", {"approve": True}),
    A.CALLBACK: ("operator", {"satisfaction": "satisfied", "resolved": True}),
    A.MERGE: ("operator", {"into": None}),
    A.URGE: ("supervisor", {"note": "请尽快"}),
    A.SUPERVISE: ("supervisor", {"note": "督办"}),
    A.NOTE: ("operator", {"note": "备注"}),
}

CASES = [(s, a) for s in STATES for a in states.API_ACTIONS]


@pytest.mark.parametrize(("state", "action"), CASES, ids=[f"{s}-{a.value}" for s, a in CASES])
def test_state_action_pair_through_the_api(world, state, action):
    status = STATES[state]
    number = world.ticket("extension_pending" if action is A.DECIDE_EXTENSION and state == "accepted" else state)
    target = world.ticket("new") if action is A.MERGE else None
    who, body = ACTOR_AND_BODY[action]
    if action is A.MERGE:
        body = {"into": target}
    client = world.client(who)
    observer = world.client("supervisor")
    before = observer.get(f"/api/v1/tickets/{number}").json

    r = client.post(f"/api/v1/tickets/{number}/{action.value}", json=body)

    allowed = (states.Status(status), action) in states.TRANSITIONS
    if allowed:
        assert r.status_code == 200, r.json
        assert r.json["status"] == states.next_status(status, action).value
        assert len(r.json["events"]) == len(before["events"]) + 1
        assert r.json["events"][-1]["action"] == action.value
    else:
        unit_cannot_see = who == "staff_a" and before["lead_unit"] != "DEPT-A"
        expected = 404 if unit_cannot_see else 409
        assert r.status_code == expected, r.json
        if expected == 409:
            assert r.json["error"]["code"] == "invalid_transition"
            assert r.json["error"]["message_zh"]
        assert observer.get(f"/api/v1/tickets/{number}").json == before
