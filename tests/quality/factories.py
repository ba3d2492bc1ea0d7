"""Quality fixtures built through the services, as a manager would."""

from __future__ import annotations

from typing import Any

from contactcenter.quality import services
from contactcenter.quality.models import Criterion, ScorecardVersion

#: Greeting (yes/no, weight 2), Identification (yes/no, weight 3, critical), Solution (0–4,
#: weight 4), Closing (yes/no, weight 1, may be n.a.): the docs' worked example.
DEMO_SECTIONS: list[dict[str, Any]] = [
    {
        "title": "Opening",
        "criteria": [
            {"key": "greeting", "title": "Greeting", "weight": 2, "guidance": "Name and company."},
            {"key": "identification", "title": "Identification", "weight": 3, "critical": True},
        ],
    },
    {
        "title": "Resolution",
        "criteria": [
            {"key": "solution", "title": "Solution", "weight": 4, "scale": "points", "max_points": 4},
            {"key": "closing", "title": "Closing", "weight": 1, "allow_na": True},
        ],
    },
]


def published_scorecard(*, by, name: str = "Calls", sections=None, **fields: Any) -> ScorecardVersion:
    scorecard = services.scorecard_create(name=name, by=by, **fields)
    draft = scorecard.versions.get()
    services.scorecard_version_set_content(version=draft, by=by, sections=sections or DEMO_SECTIONS)
    return services.scorecard_version_publish(version=draft, by=by)


def criteria_by_key(version: ScorecardVersion) -> dict[str, Criterion]:
    return {c.key: c for c in Criterion.objects.filter(section__version=version)}


def answers(version: ScorecardVersion, **values: Any) -> list[dict[str, Any]]:
    """``answers(v, greeting=1, closing="na")`` → the service's answer dicts."""
    by_key = criteria_by_key(version)
    result = []
    for key, value in values.items():
        if value == "na":
            result.append({"criterion": by_key[key].pk, "value": None, "not_applicable": True, "comment": ""})
        else:
            result.append({"criterion": by_key[key].pk, "value": value, "not_applicable": False, "comment": ""})
    return result


FULL_MARKS = {"greeting": 1, "identification": 1, "solution": 4, "closing": 1}
WORKED_EXAMPLE = {"greeting": 1, "identification": 1, "solution": 3, "closing": "na"}
