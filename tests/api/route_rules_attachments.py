"""The attachments' API: the ticket's visibility (another unit's is a 404); adding for those
who work the ticket (an empty upload is a 422 for them)."""

from tests.attachments.setups import ticket_with_photo

from .test_route_permissions import TICKET_ROLES, _ok_for

ADDERS = ["operator", "dispatcher", "supervisor", "staff_own", "staff_assist"]

RULES = {
    ("GET", "/api/v1/tickets/<number>/attachments"): {
        "state": "dispatched",
        "expected": _ok_for(TICKET_ROLES, hidden=("staff_other", "kb_editor")),
    },
    ("POST", "/api/v1/tickets/<number>/attachments"): {
        "state": "dispatched",
        "expected": _ok_for(ADDERS, 422, hidden=("staff_other", "kb_editor")),
    },
    ("GET", "/api/v1/attachments/<attachment_id>/content"): {
        "setup": ticket_with_photo,
        "expected": _ok_for(TICKET_ROLES, hidden=("staff_other", "kb_editor")),
    },
}
