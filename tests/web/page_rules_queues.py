"""Page rules for the work queues (待办), their counts, and the Excel exports (see test_page_permissions.py).

Each role opens only its own queues (another role's queue is 403); unit staff of every unit
open their unit's queues (what is in them is checked in test_queue_pages.py: never another
unit's ticket).
"""

from hotline.queues.definitions import QUEUES

from .test_page_permissions import TICKET_ROLES, ok_for

ROLE_USERS = {
    "operator": ["operator"],
    "dispatcher": ["dispatcher"],
    "supervisor": ["supervisor"],
    "unit_staff": ["staff_own", "staff_assist", "staff_other"],
}
QUEUE_USERS = [u for users in ROLE_USERS.values() for u in users]


def _queue_cases():
    return {
        key: {"path": {"key": key}, "expected": ok_for(ROLE_USERS[queue.role.value])} for key, queue in QUEUES.items()
    }


PAGES = {
    ("GET", "/queues"): {"expected": ok_for(QUEUE_USERS, 302)},
    ("GET", "/queues/<key>"): {"actions": _queue_cases()},
    ("GET", "/queues/<key>/export.xlsx"): {"actions": _queue_cases()},
    ("GET", "/tickets/export.xlsx"): {"expected": ok_for([*TICKET_ROLES, "staff_other"])},
    ("GET", "/ui/queues/counts"): {"expected": ok_for(QUEUE_USERS, anonymous=401)},
}
