"""Demo knowledge base: a dozen published articles, six in French and six in English, on what a
telecom and energy customer service is asked every day (``manage.py demo`` loads them).

Articles are looked up by slug and categories by name, and only the missing ones are created,
through the services (history included, by the demo's manager): running the demo twice creates
nothing the second time, and an article a manager has since edited is left as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from contactcenter.knowledge.models import Article, ArticleAudience
from contactcenter.knowledge.services import article_category_get_or_create, article_create

BILLING, SUPPORT, CONTRACTS, DATA = "Billing", "Technical support", "Contracts", "Data protection"

CATEGORIES: dict[str, str] = {
    BILLING: "Bills, payments, refunds and meter readings.",
    SUPPORT: "Internet box, modem and line troubleshooting.",
    CONTRACTS: "Subscriptions, moving house, termination.",
    DATA: "GDPR requests: access, correction, erasure.",
}


@dataclass(frozen=True)
class ArticleSpec:
    slug: str
    language: str
    category: str
    title: str
    summary: str
    tags: tuple[str, ...]
    body: str
    #: Published this many days before the demo's ``now``.
    age_days: int
    #: ``public``: also read by the chat bot and on the customer portal.
    audience: str = ArticleAudience.INTERNAL


ARTICLES: tuple[ArticleSpec, ...] = (
    ArticleSpec(
        slug="fr-resiliation-contrat",
        language="fr",
        category=CONTRACTS,
        title="Résiliation d'un contrat d'abonnement",
        summary="Comment enregistrer la résiliation d'un client, les délais de préavis et les frais éventuels.",
        tags=("résiliation", "contrat", "préavis"),
        body="""Un client peut résilier son contrat à tout moment. Après la première année d'engagement, la
résiliation est sans frais (loi Chatel).

## Avant d'enregistrer la résiliation
- Vérifiez l'identité du titulaire du contrat : nom, adresse et date de naissance.
- Demandez le motif et proposez, s'il y a lieu, une offre mieux adaptée.
- Indiquez la date de fin souhaitée : la résiliation prend effet au plus tard 10 jours après la demande.

## Enregistrer la demande
1. Ouvrez la fiche du client et choisissez le contrat concerné.
2. Saisissez la date de fin et le motif de résiliation.
3. Annoncez les frais : aucun après 12 mois, sinon les mensualités restantes dues (25 % pour un forfait mobile).
4. Confirmez par email ; le client reçoit sa facture de clôture sous 30 jours.

Le matériel loué (box, décodeur) doit être rendu sous 30 jours dans un point relais.""",
        age_days=40,
    ),
    ArticleSpec(
        slug="fr-comprendre-facture-electricite",
        audience=ArticleAudience.PUBLIC,
        language="fr",
        category=BILLING,
        title="Comprendre une facture d'électricité estimée",
        summary=(
            "Expliquer au client la différence entre index relevé et index estimé, et la facture de régularisation."
        ),
        tags=("facture", "compteur", "estimation"),
        body="""Lorsque le compteur n'a pas pu être relevé, la consommation est estimée à partir de l'historique
du client. La facture porte alors la mention « index estimé ».

## Ce qu'il faut expliquer
- L'estimation est corrigée à la prochaine relève réelle : c'est la facture de régularisation.
- Un compteur communicant transmet ses index chaque jour : plus d'estimation.
- Le client peut transmettre lui-même son index dans son espace client ou à l'oral.

## Si le client conteste le montant
1. Relevez avec lui l'index affiché sur le compteur.
2. Comparez-le à l'index de la facture.
3. Si l'écart est important, créez un ticket « Facturation » pour une facture rectificative.""",
        age_days=35,
    ),
    ArticleSpec(
        slug="fr-remboursement-trop-percu",
        language="fr",
        category=BILLING,
        title="Remboursement d'un trop-perçu",
        summary="Quand et comment rembourser un client dont le solde est créditeur.",
        tags=("remboursement", "avoir", "paiement"),
        body="""Un trop-perçu apparaît quand le client a payé plus que sa consommation réelle, par exemple après
une facture de régularisation ou une double mensualité.

## Règles
- Un solde créditeur de moins de 15 € est déduit de la prochaine facture.
- Au-delà, le remboursement est fait par virement sous 15 jours.
- À la clôture du contrat, tout solde créditeur est remboursé, quel que soit le montant.

## Procédure
1. Vérifiez le solde dans l'onglet Paiements.
2. Demandez ou confirmez l'IBAN du titulaire (jamais celui d'un tiers).
3. Créez un ticket « Remboursement » avec le montant et l'IBAN masqué.
4. Indiquez au client le délai de remboursement.""",
        age_days=28,
    ),
    ArticleSpec(
        slug="fr-redemarrer-box-internet",
        audience=ArticleAudience.PUBLIC,
        language="fr",
        category=SUPPORT,
        title="Redémarrer la box internet",
        summary=(
            "Les étapes à faire suivre au client quand internet ne fonctionne plus, avant tout déplacement "
            "de technicien."
        ),
        tags=("box", "modem", "wifi", "panne"),
        body="""La plupart des coupures se règlent par un redémarrage complet de la box.

## Étapes
1. Débranchez l'alimentation de la box pendant 30 secondes.
2. Rebranchez-la et attendez 3 minutes que les voyants se stabilisent.
3. Vérifiez le voyant « Internet » : blanc fixe, la connexion est rétablie.
4. Si le voyant clignote, vérifiez le câble entre la prise téléphonique et la box.

## Si rien ne change
- Lancez le diagnostic de ligne depuis la fiche client.
- En cas d'incident collectif connu, informez le client du délai de rétablissement annoncé.
- Sinon, ouvrez un ticket « Support technique » et proposez un rendez-vous technicien.

Ne faites jamais réinitialiser la box (bouton Reset) sans prévenir : le client perd ses réglages wifi.""",
        age_days=21,
    ),
    ArticleSpec(
        slug="fr-demenagement-transfert-contrat",
        audience=ArticleAudience.PUBLIC,
        language="fr",
        category=CONTRACTS,
        title="Déménagement : transférer le contrat à la nouvelle adresse",
        summary="Ce qu'il faut demander au client qui déménage pour que son service suive sans coupure.",
        tags=("déménagement", "adresse", "mise en service"),
        body="""Un client qui déménage garde son contrat : il n'a pas besoin de le résilier.

## Informations à recueillir
- La nouvelle adresse complète, avec l'étage et le numéro de logement.
- La date de départ et la date d'arrivée.
- Pour l'énergie : les index du compteur le jour du départ.

## Procédure
1. Enregistrez le déménagement dans la fiche client, rubrique Contrats.
2. Vérifiez l'éligibilité de la nouvelle adresse (fibre, ADSL) ou le numéro de point de livraison.
3. Planifiez la mise en service au plus tôt le jour de l'arrivée.
4. Rappelez au client de rapporter sa box si la technologie change.

Le transfert est gratuit une fois par an.""",
        age_days=14,
    ),
    ArticleSpec(
        slug="fr-demande-rgpd",
        language="fr",
        category=DATA,
        title="Traiter une demande RGPD (accès, rectification, effacement)",
        summary="Reconnaître une demande d'exercice de droits et la transmettre dans le délai légal d'un mois.",
        tags=("rgpd", "données personnelles", "effacement"),
        body="""Tout client peut demander à consulter, corriger ou effacer ses données personnelles. Nous avons
un mois pour répondre.

## Reconnaître la demande
- « Je veux savoir ce que vous savez sur moi » : droit d'accès.
- « Mon adresse est fausse » : rectification, à faire directement.
- « Supprimez mes données » : effacement.

## Procédure
1. Vérifiez l'identité du demandeur ; un tiers ne peut pas faire la demande à sa place.
2. Créez un ticket « Protection des données » en précisant le droit exercé.
3. N'effacez rien vous-même : l'équipe back-office traite l'effacement.
4. Indiquez au client qu'il recevra une réponse écrite sous un mois.""",
        age_days=7,
    ),
    ArticleSpec(
        slug="en-terminating-a-contract",
        language="en",
        category=CONTRACTS,
        title="Terminating a subscription contract",
        summary="How to record a customer's cancellation, the notice period and any early termination fee.",
        tags=("termination", "cancellation", "contract"),
        body="""Customers may cancel their contract at any time. After the first twelve months, cancelling is free
of charge.

## Before you record it
- Check the identity of the account holder: name, address and date of birth.
- Ask for the reason and, where it helps, offer a better suited plan.
- Agree on the end date: termination takes effect at most 10 days after the request.

## Recording the termination
1. Open the customer's record and pick the contract.
2. Enter the end date and the reason.
3. State the fees: none after 12 months, otherwise the remaining monthly payments.
4. Confirm by email; the final bill follows within 30 days.

Rented equipment (router, set-top box) must be returned within 30 days.""",
        age_days=38,
    ),
    ArticleSpec(
        slug="en-estimated-bill",
        audience=ArticleAudience.PUBLIC,
        language="en",
        category=BILLING,
        title="Explaining an estimated bill",
        summary="Help customers understand estimated meter readings and the catch-up bill that follows.",
        tags=("bill", "meter", "estimate"),
        body="""When the meter could not be read, consumption is estimated from the customer's history and the bill
says "estimated reading".

## What to explain
- The estimate is corrected at the next actual reading: that is the catch-up bill.
- A smart meter sends its readings every day, so its bills are never estimated.
- Customers can send their own reading online or over the phone.

## When the amount is disputed
1. Ask the customer to read the meter with you.
2. Compare it with the reading on the bill.
3. If they differ widely, open a Billing ticket for a corrected bill.""",
        age_days=30,
    ),
    ArticleSpec(
        slug="en-issuing-a-refund",
        language="en",
        category=BILLING,
        title="Issuing a refund for an overpayment",
        summary="When and how to refund a customer whose account is in credit.",
        tags=("refund", "credit", "payment"),
        body="""An account goes into credit when the customer paid more than they used, for instance after a catch-up
bill or a duplicate direct debit.

## Rules
- A credit under 15 EUR is deducted from the next bill.
- Above that, it is refunded by bank transfer within 15 days.
- When the contract ends, any credit is refunded whatever the amount.

## Steps
1. Check the balance in the Payments tab.
2. Ask for or confirm the account holder's IBAN (never a third party's).
3. Open a Refund ticket with the amount and the masked IBAN.
4. Tell the customer when to expect the money.""",
        age_days=25,
    ),
    ArticleSpec(
        slug="en-restarting-the-router",
        audience=ArticleAudience.PUBLIC,
        language="en",
        category=SUPPORT,
        title="Restarting the modem and router",
        summary="The steps a customer should follow when the internet connection drops, before sending a technician.",
        tags=("router", "modem", "wifi", "outage"),
        body="""Most connection drops are fixed by restarting the modem.

## Steps
1. Unplug the modem's power for 30 seconds.
2. Plug it back in and wait 3 minutes for the lights to settle.
3. Check the Internet light: steady white means the connection is back.
4. If it keeps blinking, check the cable between the phone socket and the modem.

## If nothing changes
- Run the line test from the customer's record.
- If there is a known outage in the area, give the customer the announced repair time.
- Otherwise open a Technical support ticket and offer a technician visit.

Never have the customer press Reset without warning them: their wifi settings would be lost.""",
        age_days=18,
    ),
    ArticleSpec(
        slug="en-moving-house",
        audience=ArticleAudience.PUBLIC,
        language="en",
        category=CONTRACTS,
        title="Moving house: transferring the service",
        summary="What to ask a customer who is moving so that their service follows them without a break.",
        tags=("moving", "address", "activation"),
        body="""Customers who move keep their contract: they do not need to cancel it.

## Ask for
- The full new address, with floor and flat number.
- The moving-out and moving-in dates.
- For energy: the meter readings on the day they leave.

## Steps
1. Record the move in the customer's record, under Contracts.
2. Check what the new address can get (fibre, ADSL) or its supply point number.
3. Schedule activation for the moving-in day at the earliest.
4. Remind the customer to return their router if the technology changes.

Moving is free once a year.""",
        age_days=10,
    ),
    ArticleSpec(
        slug="en-gdpr-request",
        language="en",
        category=DATA,
        title="Handling a GDPR request (access, correction, erasure)",
        summary="Recognise a data protection request and pass it on within the one-month legal deadline.",
        tags=("gdpr", "personal data", "erasure"),
        body="""Any customer may ask to see, correct or erase their personal data. We must answer within one month.

## Recognising the request
- "I want to know what you hold about me": right of access.
- "My address is wrong": correction, which you make yourself.
- "Delete my data": erasure.

## Steps
1. Check the identity of the person asking; nobody may ask on someone else's behalf.
2. Open a Data protection ticket naming the right being exercised.
3. Do not erase anything yourself: the back office handles erasure.
4. Tell the customer they will get a written answer within one month.""",
        age_days=5,
    ),
)


def load_knowledge_demo(
    *, by: AbstractBaseUser | None, now: datetime | None = None, created: dict[str, int] | None = None
) -> dict[str, int]:
    """Create the demo categories and articles that are missing, published ``age_days`` before
    ``now`` (default: now), written by ``by``. Adds to ``created`` (and returns it) the number of
    ``"knowledge categories"`` and ``"knowledge articles"`` created."""
    created = {} if created is None else created
    now = now or timezone.now()
    existing = set(Article.objects.filter(slug__in=[spec.slug for spec in ARTICLES]).values_list("slug", flat=True))
    for spec in ARTICLES:
        if spec.slug in existing:
            continue
        category, is_new = article_category_get_or_create(name=spec.category, description=CATEGORIES[spec.category])
        if is_new:
            created["knowledge categories"] = created.get("knowledge categories", 0) + 1
        article_create(
            title=spec.title,
            slug=spec.slug,
            language=spec.language,
            category=category,
            summary=spec.summary,
            tags=spec.tags,
            body=spec.body,
            audience=spec.audience,
            by=by,
            publish=True,
            at=now - timedelta(days=spec.age_days),
        )
        created["knowledge articles"] = created.get("knowledge articles", 0) + 1
    return created
