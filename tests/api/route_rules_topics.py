"""Route permission rows for hot topics and spikes (/api/v1/reports/hot-topics, /spikes).

Both read every unit's tickets (keywords, ticket numbers): supervisors and admins only.
"""

from .test_route_permissions import _ok_for

RULES = {
    ("GET", "/api/v1/reports/hot-topics"): {"expected": _ok_for(["supervisor", "admin"])},
    ("GET", "/api/v1/reports/spikes"): {"expected": _ok_for(["supervisor", "admin"])},
}
