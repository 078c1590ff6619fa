"""The citizens' public pages: the progress lookup answers every role alike (a wrong pair is a
404); the web form (网上留言) too (a form not served by us is a 422, nothing stored)."""

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
    ("GET", "/message"): {"expected": {r: 200 for r in ROLES}},
    ("POST", "/message/code"): {"form": {"mobile": "13800138000"}, "expected": {r: 422 for r in ROLES}},
    ("POST", "/message"): {"form": {"content": "路灯不亮"}, "expected": {r: 422 for r in ROLES}},
}
