"""The ticket page's attachments: adding (an empty form is a 422 for those who may add) and
the files, through the ticket's visibility (another unit's is a 404)."""

from tests.attachments.setups import ticket_with_photo

from .test_page_permissions import TICKET_ROLES, ok_for

PAGES = {
    ("POST", "/tickets/<number>/attachments"): {
        "state": "dispatched",
        "form": {},
        "expected": ok_for(
            ["operator", "dispatcher", "supervisor", "staff_own", "staff_assist"], 422, hidden=("staff_other",)
        ),
    },
    ("GET", "/attachments/<int:attachment_id>/<variant>"): {
        "setup": ticket_with_photo,
        "expected": ok_for(TICKET_ROLES, hidden=("staff_other",)),
    },
}
