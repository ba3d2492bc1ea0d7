"""The words of the demo: ticket categories by queue, agents' notes by disposition, ticket
subjects by category and language, ticket comments at each step of a ticket's life, survey
comments. Plain data.
"""

from __future__ import annotations

from contactcenter.demo.simulator.center import BILLING, CHAT, EMAIL, SALES, SMS, SOCIAL, SUPPORT

CATEGORY_BY_QUEUE: dict[str, tuple[tuple[str, float], ...]] = {
    BILLING: (("Billing", 1),),
    SALES: (("Account", 50), ("Other", 30), ("Billing", 20)),
    SUPPORT: (("Technical issue", 55), ("Delivery", 25), ("Account", 20)),
    CHAT: (("Technical issue", 40), ("Delivery", 30), ("Account", 30)),
    EMAIL: (("Billing", 30), ("Delivery", 25), ("Account", 25), ("Other", 20)),
    SMS: (("Delivery", 60), ("Other", 40)),
    SOCIAL: (("Technical issue", 40), ("Delivery", 30), ("Other", 30)),
    "": (("Other", 1),),
}
NOTES: dict[str, tuple[str, ...]] = {
    "resolved": ("Problème réglé pendant l'échange.", "Réinitialisation faite avec le client, tout fonctionne."),
    "information-given": ("Informations données sur l'offre.", "Explication de la dernière facture."),
    "sale": ("Souscription à l'offre supérieure.", "Option ajoutée au contrat."),
    "ticket-opened": ("Ticket ouvert pour suivi.",),
    "escalated": ("Escaladé au back office.",),
    "complaint": ("Réclamation enregistrée, client mécontent.",),
    "callback": ("Rappel convenu avec le client.",),
    "transferred": ("Transféré vers le service concerné.",),
    "wrong-number": ("Erreur de numéro.",),
}
SUBJECTS: dict[str, dict[str, tuple[str, ...]]] = {
    "Billing": {
        "fr": ("Facture incorrecte", "Double prélèvement", "Demande d'échéancier", "Remboursement non reçu"),
        "en": ("Incorrect invoice", "Charged twice", "Payment plan request", "Refund not received"),
    },
    "Technical issue": {
        "fr": ("Service indisponible", "Impossible de se connecter", "Panne depuis ce matin", "Application bloquée"),
        "en": ("Service unavailable", "Cannot log in", "Outage since this morning", "App keeps freezing"),
    },
    "Delivery": {
        "fr": ("Colis non reçu", "Livraison en retard", "Article endommagé", "Erreur d'adresse de livraison"),
        "en": ("Parcel not received", "Late delivery", "Damaged item", "Wrong delivery address"),
    },
    "Account": {
        "fr": ("Modification des coordonnées", "Résiliation du contrat", "Changement d'offre", "Compte bloqué"),
        "en": ("Change of contact details", "Contract cancellation", "Change of plan", "Account locked"),
    },
    "Complaint": {
        "fr": ("Réclamation : délai de traitement", "Réclamation sur l'accueil", "Demande de geste commercial"),
        "en": ("Complaint: handling time", "Complaint about the service", "Request for compensation"),
    },
    "Other": {
        "fr": ("Demande d'information", "Demande de rappel", "Question sur les conditions générales"),
        "en": ("Information request", "Callback request", "Question about the terms"),
    },
}
COMMENTS: dict[str, dict[str, tuple[str, ...]]] = {
    "opened": {
        "fr": (
            "Client en ligne, problème décrit ci-dessus. Vérifications faites, à traiter.",
            "Ticket ouvert pendant l'échange ; le client attend un retour écrit.",
            "Client mécontent, souhaite un retour rapide.",
        ),
    },
    "escalated": {"fr": ("Escaladé au back office pour analyse.", "Pris en charge par le back office.")},
    "ack": {
        "fr": (
            "Bonjour, nous avons bien reçu votre demande et nous la traitons. Nous revenons vers vous rapidement.",
            "Bonjour, votre dossier est pris en charge par notre équipe. Bien cordialement.",
        ),
        "en": (
            "Hello, we have received your request and are looking into it. We will get back to you shortly.",
            "Hello, our team is now handling your case. Kind regards.",
        ),
    },
    "ask": {
        "fr": (
            "Bonjour, pourriez-vous nous envoyer une copie de votre dernière facture afin que nous puissions avancer ?",
            "Bonjour, pourriez-vous nous confirmer votre adresse de livraison ?",
        ),
        "en": (
            "Hello, could you send us a copy of your last invoice so that we can move forward?",
            "Hello, could you confirm your delivery address?",
        ),
    },
    "reply": {"fr": ("Le client a envoyé les éléments demandés.", "Retour du client reçu par email.")},
    "solved": {
        "fr": (
            "Bonjour, votre demande est traitée. N'hésitez pas à nous recontacter si besoin.",
            "Bonjour, la correction a été faite sur votre compte. Bonne journée.",
        ),
        "en": (
            "Hello, your request has been resolved. Do not hesitate to contact us again if needed.",
            "Hello, your account has been corrected. Have a nice day.",
        ),
    },
}
SURVEY_COMMENTS: dict[str, dict[bool, tuple[str, ...]]] = {
    "fr": {
        True: ("Très bon accueil, merci !", "Problème réglé rapidement.", "Conseillère très à l'écoute."),
        False: ("Trop d'attente avant d'avoir quelqu'un.", "Mon problème n'est toujours pas réglé."),
    },
    "en": {
        True: ("Very helpful, thank you!", "Sorted out quickly.", "Friendly and efficient."),
        False: ("Waited far too long.", "My problem is still not solved."),
    },
}
