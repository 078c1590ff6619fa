"""Assessment and reports (考核与报表): the figures per unit, level and the whole city,
exemptions (考核免责), the weighted score and ranking, and the tickets behind each figure.

- ``periods``: months and date ranges in the centre's zone;
- ``figures``: every figure, in SQL; ``definitions``: every figure, in words;
- ``scores``: the weighted score and the ranking; ``drill``: the tickets behind a figure;
- ``services``: exemptions and score schemes (audited); ``views``: the API; ``pages``: the pages.
"""

from __future__ import annotations


def init_app(app, csrf=None) -> None:
    """Register the domain's API and pages (called once by create_app)."""
