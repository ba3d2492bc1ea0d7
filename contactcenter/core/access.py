"""The access policy (SPEC §5, Access): one place that says who sees and does what.

``ACTIONS`` says which roles may attempt what; what each user may *see* sits beside each model, in
its queryset's ``visible_to(user)`` (``Customer.objects.visible_to(user)``), so that an object a
user may not see is simply absent from their querysets and answers 404, never 403.

- agents read customers, their own and their queues' tickets and interactions, scripts,
  knowledge; they write interactions, tickets, comments, surveys and their own status;
- supervisors also read their team's agents, tickets, interactions and KPIs and reassign within
  the team;
- QA evaluators (the ``quality`` role) read the customers, tickets and interactions of the teams
  assigned to them and evaluate those interactions; they write no customer, ticket or interaction;
- managers and admins read everything; managers write scripts, training and scorecards; admins
  provision users, teams, queues, assign QA evaluators their teams and answer data-protection
  requests.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser

from contactcenter.core.roles import (
    ADMINS,
    EVALUATORS,
    EVERYONE,
    FRONT_LINE_UP,
    MANAGERS_UP,
    QUALITY,
    SUPERVISORS_UP,
    role_of,
)

#: action → roles allowed to attempt it (the object must also be visible to the user).
ACTIONS: dict[str, frozenset[str]] = {
    "customer.read": EVERYONE,
    "customer.write": FRONT_LINE_UP,
    "customer.merge": SUPERVISORS_UP,
    "customer.delete": ADMINS,
    "customer.export": ADMINS,
    "customer.erase": ADMINS,
    "organisation.read": EVERYONE,
    "team.write": ADMINS,
    "queue.write": ADMINS,
    "agent.read": EVERYONE,
    "agent.provision": ADMINS,
    "status.write_own": EVERYONE,
    # Setting another agent offline or on a break: whose, the service says (a supervisor: their
    # team's agents; managers and admins: anyone).
    "status.write_others": SUPERVISORS_UP,
    "ticket.read": EVERYONE,
    "ticket.write": FRONT_LINE_UP,
    "ticket.reassign": SUPERVISORS_UP,
    "interaction.read": EVERYONE,
    "interaction.write": FRONT_LINE_UP,
    # Agents change their own interactions only, and never whose or which queue's they are:
    # supervisors and up route contacts (and the telephony system, as calls move).
    "interaction.route": SUPERVISORS_UP,
    "survey.write": FRONT_LINE_UP,
    "kpi.read": EVERYONE,
    "kpi.read_all": MANAGERS_UP,
    "staffing.read": SUPERVISORS_UP,
    "script.read": EVERYONE,
    # Everyone reads published knowledge articles; those who write them read drafts too.
    "knowledge.read": EVERYONE,
    "knowledge.write": MANAGERS_UP,
    # Everyone takes the training assigned to them and reads their own progress; supervisors see
    # their team's progress; managers and admins write the material and see everyone's.
    "training.read": EVERYONE,
    "training.progress": SUPERVISORS_UP,
    "training.write": MANAGERS_UP,
    # The pages (contactcenter/desk): the desktop for every role, the wallboard and the simulated
    # call (a training and demo aid that goes through the real CTI intake) for supervisors and up.
    "desk.open": EVERYONE,
    "wallboard.open": SUPERVISORS_UP,
    "call.simulate": SUPERVISORS_UP,
    "script.write": MANAGERS_UP,
    # The telephony system posts call events with an integration account: a user with the admin or
    # manager role (SPEC §5, "integration accounts are users with a role too"). Agents and
    # supervisors may not: a call event moves an agent's presence and makes interactions.
    "cti.post": MANAGERS_UP,
    # Call recordings: heard by whoever may see their interaction (the object check); attached by
    # the integration accounts, as call events are; deleted by admins. Pausing the recording of
    # one's call (card payments) from the desk: every role.
    "recording.read": EVERYONE,
    "recording.write": MANAGERS_UP,
    "recording.delete": ADMINS,
    "recording.pause": FRONT_LINE_UP,
    # Routing: who the next work of a queue would go to (supervisors: their team's queues; a
    # dialplan's integration account: manager or admin); an offer is answered by its own agent.
    "routing.next_agent": SUPERVISORS_UP,
    "routing.answer": FRONT_LINE_UP,
    # The work items with their place in line, and moving them (supervisors: their team's queues).
    "routing.items": SUPERVISORS_UP,
    "routing.move": SUPERVISORS_UP,
    # Callbacks: every role promises them and logs their attempts, on the callbacks they see (an
    # agent: those they promised and their queues'); an agent cancels only those they promised.
    "callback.read": EVERYONE,
    "callback.write": FRONT_LINE_UP,
    # Click-to-dial and call control: every role with an agent profile places calls from their own
    # phone and holds, resumes or transfers the call they are on; each follows the commands they
    # see (an agent: their own; a supervisor: their team's; managers and admins: all).
    "call.dial": FRONT_LINE_UP,
    "call.read": EVERYONE,
    # Mailboxes (their addresses, queues and IMAP credentials) are the organisation's: admins.
    "mailbox.read": ADMINS,
    "mailbox.write": ADMINS,
    # Quality management (contactcenter/quality): everyone reads the evaluations they may see (an
    # agent: their own, once published to them); supervisors, QA evaluators, managers and admins
    # evaluate (a supervisor: their team's interactions; a QA evaluator: their teams'); the agent
    # evaluated acknowledges or disputes; another evaluator decides a dispute. Managers write the
    # scorecards; calibration sessions are set up by managers and QA evaluators; admins say which
    # teams each QA evaluator covers.
    "quality.read": EVERYONE,
    "quality.respond": EVERYONE,
    "quality.evaluate": EVALUATORS,
    "quality.decide": EVALUATORS,
    "scorecard.read": EVALUATORS,
    "scorecard.write": MANAGERS_UP,
    "calibration.write": MANAGERS_UP | {QUALITY},
    "evaluator_team.read": MANAGERS_UP,
    "evaluator_team.write": ADMINS,
}


def can(user: AbstractBaseUser, action: str) -> bool:
    """Whether the user's role allows ``action`` (see ``ACTIONS``)."""
    role = role_of(user)
    return role is not None and role in ACTIONS[action]
