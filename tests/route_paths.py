"""Filling a route's variables for the rule tables (route and page permissions, NUL checks)."""

from __future__ import annotations


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
        for variable in (f"<{key}>", f"<int:{key}>", f"<path:{key}>"):
            path = path.replace(variable, str(value))
    return path
