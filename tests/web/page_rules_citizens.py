"""The citizens' public pages: the progress lookup answers every role alike (a wrong pair is a 404)."""

ROLES = [
    "anonymous",
    "operator",
    "dispatcher",
    "supervisor",
    "kb_editor",
    "admin",
    "staff_own",
    "staff_assist",
    "staff_other",
]

PAGES = {
    ("GET", "/progress"): {"expected": {r: 200 for r in ROLES}},
    ("POST", "/progress"): {
        "form": {"number": "20991231-999999", "phone_last4": "0000"},
        "expected": {r: 404 for r in ROLES},
    },
}
