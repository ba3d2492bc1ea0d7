"""Demo training (``manage.py demo`` loads it): the course "Accueil client et facturation", three
lessons linked to the demo knowledge articles and a quiz of four questions, assigned to the Front
office team; the first three agents of that team completed it halfway through the demo period, so
that the before/after view has figures on both sides.

The course is looked up by title: when it exists nothing is created (running the demo twice
creates nothing the second time, and a course a manager has since edited is left as it is).
Everything is written through the services, history included, by the demo's manager.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from contactcenter.agents.models import AgentProfile, Role, Team
from contactcenter.knowledge.models import Article
from contactcenter.training.models import Course
from contactcenter.training.services import (
    assignment_create,
    course_create,
    lesson_complete,
    lesson_create,
    quiz_create,
    quiz_submit,
)

COURSE_TITLE = "Accueil client et facturation"
TEAM_NAME = "Front office"
#: How many agents of the team (by username) have completed the course in the demo.
COMPLETED_BY = 3

LESSONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "Accueillir le client",
        """<h2>Les trente premières secondes</h2>
<p>Présentez-vous avec le nom de l'entreprise et votre prénom, puis <strong>écoutez</strong> la demande
jusqu'au bout avant de répondre.</p>
<ul>
<li>Vérifiez l'identité du titulaire : nom, adresse, date de naissance.</li>
<li>Reformulez la demande pour montrer que vous l'avez comprise.</li>
<li>Annoncez ce que vous allez faire et combien de temps cela prendra.</li>
</ul>
<p><em>Welcome the customer: introduce yourself, listen, check identity, rephrase.</em></p>""",
        ("fr-resiliation-contrat", "en-terminating-a-contract"),
    ),
    (
        "Expliquer une facture",
        """<h2>Lire la facture avec le client</h2>
<p>Une facture d'électricité comporte l'abonnement, la consommation et les taxes. Une facture
<strong>estimée</strong> se corrige avec un relevé transmis par le client.</p>
<ol>
<li>Ouvrez la facture dans la fiche du client.</li>
<li>Comparez la consommation à celle de l'an dernier.</li>
<li>Si elle est estimée, proposez la saisie d'un relevé.</li>
</ol>""",
        ("fr-comprendre-facture-electricite", "en-estimated-bill"),
    ),
    (
        "Rembourser un trop-perçu",
        """<h2>Quand rembourser</h2>
<p>Un trop-perçu de plus de 15 € est remboursé par virement sous 15 jours ; en dessous, il est déduit
de la facture suivante.</p>
<table><thead><tr><th scope="col">Montant</th><th scope="col">Traitement</th></tr></thead>
<tbody><tr><td>≤ 15 €</td><td>Déduit de la prochaine facture</td></tr>
<tr><td>&gt; 15 €</td><td>Virement sous 15 jours</td></tr></tbody></table>""",
        ("fr-remboursement-trop-percu", "en-issuing-a-refund"),
    ),
)

QUESTIONS: tuple[tuple[str, str, tuple[tuple[str, bool], ...]], ...] = (
    (
        "Que faites-vous avant toute modification d'un contrat ?",
        "single",
        (
            ("Je vérifie l'identité du titulaire", True),
            ("Je propose une offre", False),
            ("Je transfère l'appel", False),
        ),
    ),
    (
        "Que contient une facture d'électricité ?",
        "multiple",
        (("L'abonnement", True), ("La consommation", True), ("Les taxes", True), ("Le salaire du conseiller", False)),
    ),
    (
        "Une facture estimée se corrige…",
        "single",
        (("avec un relevé transmis par le client", True), ("en annulant la facture", False)),
    ),
    (
        "Un trop-perçu de 40 € est…",
        "single",
        (("remboursé par virement sous 15 jours", True), ("déduit de la prochaine facture", False)),
    ),
)


def load_training_demo(
    *,
    by: AbstractBaseUser | None,
    now: datetime | None = None,
    days: int = 30,
    created: dict[str, int] | None = None,
) -> dict[str, int]:
    """Create the demo course when missing: lessons, quiz, an assignment to the Front office team
    due a week after ``now``, and the completions of its first agents ``days / 2`` days before
    ``now``. Adds ``"training courses"`` and ``"training completions"`` to ``created`` (and returns
    it); nothing when the course exists or the team does not."""
    created = {} if created is None else created
    now = now or timezone.now()
    team = Team.objects.filter(name=TEAM_NAME).first()
    if team is None or Course.objects.filter(title=COURSE_TITLE).exists():
        return created
    course = course_create(
        title=COURSE_TITLE,
        description="Les bases de l'accueil téléphonique et des questions de facturation. / Greeting customers and "
        "answering billing questions.",
        by=by,
    )
    articles = {article.slug: article for article in Article.objects.all()}
    lessons = [
        lesson_create(
            course=course,
            title=title,
            body=body,
            by=by,
            articles=[articles[slug] for slug in slugs if slug in articles],
        )
        for title, body, slugs in LESSONS
    ]
    quiz = quiz_create(course=course, title="Quiz : accueil et facturation", pass_mark=75, questions=QUESTIONS, by=by)
    assignment_create(course=course, team=team, due_on=timezone.localdate(now) + timedelta(days=7), by=by)
    created["training courses"] = created.get("training courses", 0) + 1

    answers = {
        str(question.pk): [choice.pk for choice in question.choices.all() if choice.is_correct]
        for question in quiz.questions.prefetch_related("choices")
    }
    done_at = now - timedelta(days=max(days // 2, 1))
    agents = (
        AgentProfile.objects.filter(team=team, role=Role.AGENT).select_related("user").order_by("user__username")
    )[:COMPLETED_BY]
    for number, profile in enumerate(agents):
        at = done_at + timedelta(hours=number)
        for step, lesson in enumerate(lessons):
            lesson_complete(agent=profile.user, lesson=lesson, at=at - timedelta(minutes=30 - 10 * step))
        quiz_submit(agent=profile.user, quiz=quiz, answers=answers, at=at)
        created["training completions"] = created.get("training completions", 0) + 1
    return created
