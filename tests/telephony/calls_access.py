"""Access-matrix entries for ``calls/`` (merged by tests/api/test_access_matrix.py).

Every role with a profile may place a call and act on the call they are on: the matrix sends a
number that is not one (400 before anything else) and asks to hold a call nobody is on (409). A
command agent A asked for (a fresh one per call) is theirs, their supervisor's, the managers' and
the admins' to follow; another team's agent does not see it (404)."""

from contactcenter.agents.models import AgentProfile
from contactcenter.telephony.models import Command
from tests.api.matrix import Case, statuses


def _command_of_agent_a(org) -> dict:
    profile = AgentProfile.objects.get(user=org.agent_a)
    command = Command.objects.create(
        bridge="asterisk",
        action="dial",
        arguments={"to": "+33612345678", "extension": "1001", "agent": "agent_a"},
        agent=profile,
        requested_by=org.agent_a,
    )
    return {"pk": command.pk}


_NO_CALL = {"call_id": "nobody-is-on-it"}

ENTRIES = {
    ("call-list", "get"): Case(statuses(200)),
    ("call-list", "post"): Case(statuses(400), body=lambda org: {"to": "not a number"}),
    ("call-detail", "get"): Case(statuses(200, other_agent=404), kwargs=_command_of_agent_a),
    ("call-hold", "post"): Case(statuses(409), kwargs=lambda org: _NO_CALL),
    ("call-resume", "post"): Case(statuses(409), kwargs=lambda org: _NO_CALL),
    ("call-transfer", "post"): Case(statuses(409), kwargs=lambda org: _NO_CALL, body=lambda org: {"to": "1002"}),
}
