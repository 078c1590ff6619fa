"""Filling a route's variables for the rule tables (route and page permissions, NUL checks)."""

from __future__ import annotations

import os
import re


def path_for(world, rule: str, spec: dict, **params) -> str:
    """``rule`` with its variables filled from ``params``, ``spec["path"]``, a ticket in
    ``spec["state"]`` for ``<number>`` (lead unit DEPT-A, assisted by DEPT-C) and what
    ``spec["setup"](world)`` returns."""
    params = {**spec.get("path", {}), **params}
    if "<number>" in rule:
        params["number"] = world.ticket(spec["state"], lead="DEPT-A", assists=["DEPT-C"])
    if spec.get("setup"):
        params.update(spec["setup"](world))
    path = rule
    for key, value in params.items():
        # <key>, <int:key>, <path:key>, <any(xml, json):key> ...
        path = re.sub(rf"<(?:[^<>:]+:)?{re.escape(key)}>", lambda _m, v=str(value): v, path)
    return path


def record_cells(kind: str, cells) -> None:
    """Append the cells a matrix test checked to $HOTLINE_CHECKED_CELLS, when it is set
    (``python -m tests.count_checks --checked FILE`` counts them after a run)."""
    path = os.environ.get("HOTLINE_CHECKED_CELLS")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write("".join("\t".join([kind, *map(str, cell)]) + "\n" for cell in cells))
