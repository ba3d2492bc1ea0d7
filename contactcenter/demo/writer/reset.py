"""``--reset``: delete what the phases wrote (customers, contact points, interactions, tickets,
comments, survey answers, the demo agents' presence log, the quality evaluations of demo calls,
and the history rows of all of them);
staff, teams, queues, the script and the knowledge and training content stay.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TextIO

from django.db import models
from django.utils.translation import gettext as _

from contactcenter.agents.models import PresenceInterval
from contactcenter.demo.result import count
from contactcenter.demo.simulator.center import AGENTS, CUSTOMER_PREFIX, DEMO_SOURCE
from contactcenter.demo.writer.bulk import progress_bar
from contactcenter.quality.models import Dispute, Evaluation, EvaluationAnswer
from customers.models import ContactPoint, Customer
from interactions.models import Interaction, SurveyResponse, Ticket, TicketComment

_MODEL_OF_LABEL: dict[str, type[models.Model]] = {
    "evaluations": Evaluation,
    "surveys": SurveyResponse,
    "interactions": Interaction,
    "comments": TicketComment,
    "tickets": Ticket,
    "contact points": ContactPoint,
    "customers": Customer,
    "presence intervals": PresenceInterval,
}


def demo_delete(*, progress: TextIO | None = None) -> dict[str, int]:
    """Delete the demo's customers, interactions, tickets, survey answers, presence log and the
    history rows of all of them; staff, teams, queues and the script stay. Returns how many rows
    of each kind were deleted (keys of ``count_labels``).

    Demo tickets are those of demo customers; the presence log is the demo agents'.
    """
    deleted: dict[str, int] = {}
    steps = _steps()
    with progress_bar(progress, total=len(steps), desc=_("Deleting the demo data"), unit=_("step")) as bar:
        for label, step in steps:
            _count, per_model = step()
            if label != "history":
                count(deleted, label, per_model.get(_MODEL_OF_LABEL[label]._meta.label, 0))
            bar.update(1)
    return deleted


def _steps() -> list[tuple[str, Callable[[], tuple[int, dict[str, int]]]]]:
    """The deletions in an order the foreign keys accept, each with what it counts as."""
    history: dict[type[models.Model], Any] = {
        model: model.history.model  # type: ignore[attr-defined]
        for model in (Customer, ContactPoint, Interaction, Ticket)
    }
    demo_customers = Customer.objects.filter(external_id__startswith=CUSTOMER_PREFIX)
    demo_interactions = Interaction.objects.filter(source=DEMO_SOURCE)
    historical_customer_ids = history[Customer].objects.filter(external_id__startswith=CUSTOMER_PREFIX).values("id")
    agents = [spec.username for spec in AGENTS]
    # The quality evaluations of demo calls, with their answers, disputes and the history of all
    # three (the demo loads them again).
    demo_evaluations = Evaluation.objects.filter(interaction__in=demo_interactions)
    evaluation_history = Evaluation.history.model.objects.filter(  # type: ignore[attr-defined]
        interaction_id__in=demo_interactions.values("pk")
    )
    answer_history = EvaluationAnswer.history.model  # type: ignore[attr-defined]
    dispute_history = Dispute.history.model  # type: ignore[attr-defined]
    return [
        ("evaluations", lambda: demo_evaluations.delete()),
        ("history", lambda: answer_history.objects.filter(evaluation_id__in=evaluation_history.values("id")).delete()),
        ("history", lambda: dispute_history.objects.filter(evaluation_id__in=evaluation_history.values("id")).delete()),
        ("history", lambda: evaluation_history.delete()),
        ("surveys", lambda: SurveyResponse.objects.filter(interaction__in=demo_interactions).delete()),
        ("interactions", lambda: demo_interactions.delete()),
        ("comments", lambda: TicketComment.objects.filter(ticket__customer__in=demo_customers).delete()),
        ("tickets", lambda: Ticket.objects.filter(customer__in=demo_customers).delete()),
        ("contact points", lambda: ContactPoint.objects.filter(customer__in=demo_customers).delete()),
        ("customers", lambda: demo_customers.delete()),
        # Deleting rows writes "deleted" history rows: the demo's history goes with it, those too.
        ("history", lambda: history[Interaction].objects.filter(source=DEMO_SOURCE).delete()),
        ("history", lambda: history[Ticket].objects.filter(customer_id__in=historical_customer_ids).delete()),
        ("history", lambda: history[ContactPoint].objects.filter(customer_id__in=historical_customer_ids).delete()),
        ("history", lambda: history[Customer].objects.filter(external_id__startswith=CUSTOMER_PREFIX).delete()),
        (
            "presence intervals",
            lambda: PresenceInterval.objects.filter(agent__username__in=agents, ended_at__isnull=False).delete(),
        ),
    ]
