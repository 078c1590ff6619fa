"""Print how many permission cells and state/action pairs the suite verifies.

    .venv/bin/python -m tests.count_checks

A cell is (route, role, unit): every API route and every page or form (a form route with
several actions counts once per action) for every role, unit staff as a user of the
ticket's lead unit, of an assisting unit and of another unit. A pair is (state, action):
through the API on a real ticket (tests/api/test_transition_matrix.py) and in the pure
transition table (tests/unit/test_states.py). The figures come from the same tables the
tests walk; the tests fail if any cell of their table is left unchecked. With
``--checked FILE`` it also counts the cells a run recorded as checked (run the suite with
HOTLINE_CHECKED_CELLS=FILE).
"""

from __future__ import annotations

import os
import sys

UNIT_OF = {"staff_own": "own unit", "staff_assist": "assisting unit", "staff_other": "other unit"}


def _cells(table: dict, roles: list[str]) -> set[tuple]:
    cells = set()
    for (method, rule), spec in table.items():
        for action in spec.get("actions", [None]):
            for role in roles:
                cells.add((method, rule, action, role, UNIT_OF.get(role, "-")))
    return cells


def counts() -> dict[str, int]:
    import hotline.models  # noqa: F401 - the whole schema first, as create_app does
    from tests.api import test_route_permissions as api
    from tests.api import test_transition_matrix as matrix
    from tests.unit import test_states as pure
    from tests.web import test_page_permissions as pages

    return {
        "API (route, role, unit) cells": len(_cells(api.RULES, api.ROLES)),
        "page (route, role, unit) cells": len(_cells(pages.PAGES, pages.ROLES)),
        "API (state, action) pairs": len(set(matrix.CASES)),
        "transition-table (state, action) pairs": len(set(pure.PAIRS)),
    }


def checked(path: str) -> dict[str, int]:
    """The cells a run recorded (HOTLINE_CHECKED_CELLS=path while the suite ran)."""
    with open(path, encoding="utf-8") as recorded:
        cells = {tuple(line.rstrip("\n").split("\t")) for line in recorded if line.strip()}
    return {
        "API (route, role, unit) cells checked in the run": sum(1 for c in cells if c[0] == "api"),
        "page (route, role, unit) cells checked in the run": sum(1 for c in cells if c[0] == "page"),
    }


def main() -> int:
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    found = counts()
    if sys.argv[1:2] == ["--checked"]:
        found |= checked(sys.argv[2])
    width = max(map(len, found))
    for name, n in found.items():
        print(f"{name:<{width}}  {n:>5}")
    cells = found["API (route, role, unit) cells"] + found["page (route, role, unit) cells"]
    pairs = found["API (state, action) pairs"] + found["transition-table (state, action) pairs"]
    print(f"{'cells in all':<{width}}  {cells:>5}")
    print(f"{'pairs in all':<{width}}  {pairs:>5}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
