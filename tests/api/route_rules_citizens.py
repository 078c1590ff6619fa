"""The citizens' public API: the progress lookup answers every role alike (a wrong pair is a 404)."""

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

RULES = {
    ("POST", "/api/v1/progress"): {
        "body": {"number": "20991231-999999", "phone_last4": "0000"},
        "expected": {r: 404 for r in ROLES},
    },
}
