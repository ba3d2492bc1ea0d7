"""Roles as Django groups with permissions (SPEC §1 and §5, Access).

``ROLE_PERMISSIONS`` is the one table of what each role may do in the admin. A migration
creates the groups from it and ``post_migrate`` keeps them in step when models are added.
Object-level rules (an agent sees their own queues' tickets) live in the access policy, not here.
"""

from __future__ import annotations

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db.models.signals import post_migrate

from contactcenter.core.roles import Role

VIEW, ADD, CHANGE, DELETE = "view", "add", "change", "delete"
ALL = (VIEW, ADD, CHANGE, DELETE)

_AGENT = {
    "customers.customer": (VIEW, ADD, CHANGE),
    "customers.contactpoint": (VIEW, ADD, CHANGE, DELETE),
    "interactions.interaction": (VIEW, ADD, CHANGE),
    "interactions.ticket": (VIEW, ADD, CHANGE),
    "interactions.ticketcomment": (VIEW, ADD),
    "interactions.disposition": (VIEW,),
    "interactions.ticketcategory": (VIEW,),
    "interactions.surveyresponse": (VIEW, ADD),
    "scripts.script": (VIEW,),
    "scripts.scriptversion": (VIEW,),
    "knowledge.article": (VIEW,),
    "knowledge.articlecategory": (VIEW,),
    "agents.queue": (VIEW,),
    "agents.team": (VIEW,),
    "agents.skill": (VIEW,),
}
_SUPERVISOR = {
    **_AGENT,
    "agents.agentprofile": (VIEW, CHANGE),
    "agents.presenceinterval": (VIEW,),
    "interactions.slapolicy": (VIEW,),
    "interactions.businesshours": (VIEW,),
    "interactions.holiday": (VIEW,),
    # Supervisors follow their team's training (progress, overdue, before/after).
    "training.course": (VIEW,),
    "training.assignment": (VIEW,),
    # Call recordings are listened to in the back office (their team's: the admin filters by the
    # interactions they may see); attached through the API, deleted by admins.
    "telephony.recording": (VIEW,),
    # Supervisors evaluate their team and read its evaluations.
    "quality.evaluation": (VIEW,),
    "quality.dispute": (VIEW,),
}
_MANAGER = {
    **_SUPERVISOR,
    "scripts.script": ALL,
    "scripts.scriptversion": (VIEW, ADD),
    # Managers write the knowledge base; articles are unpublished rather than deleted, but a
    # mistaken one may go.
    "knowledge.article": ALL,
    "knowledge.articlecategory": ALL,
    # Managers write training material and assign it.
    "training.course": ALL,
    "training.lesson": ALL,
    "training.lessonattachment": ALL,
    "training.quiz": ALL,
    "training.question": ALL,
    "training.choice": ALL,
    "training.assignment": ALL,
    "interactions.disposition": ALL,
    "interactions.ticketcategory": ALL,
    "interactions.surveyresponse": (VIEW, ADD, CHANGE),
    # Managers keep the canned replies the email tickets' reply box offers.
    "mail.cannedreply": ALL,
    # Managers write the quality scorecards and follow evaluations, disputes and calibration.
    "quality.scorecard": ALL,
    "quality.scorecardversion": ALL,
    "quality.scorecardsection": ALL,
    "quality.criterion": ALL,
    "quality.evaluation": (VIEW,),
    "quality.evaluationanswer": (VIEW,),
    "quality.dispute": (VIEW, CHANGE),
    "quality.calibrationsession": ALL,
    "quality.evaluatorteam": (VIEW,),
    "quality.samplingrule": ALL,
    "quality.sampleitem": (VIEW, CHANGE),
    "quality.trainingrule": ALL,
    "quality.trainingrulehit": (VIEW,),
}

# QA evaluators read what an evaluation needs (the interaction, its customer and ticket, the
# scripts and knowledge) and change none of it; they score in the quality app.
_QUALITY = {
    "customers.customer": (VIEW,),
    "customers.contactpoint": (VIEW,),
    "interactions.interaction": (VIEW,),
    "interactions.ticket": (VIEW,),
    "interactions.ticketcomment": (VIEW,),
    "interactions.disposition": (VIEW,),
    "interactions.ticketcategory": (VIEW,),
    "scripts.script": (VIEW,),
    "scripts.scriptversion": (VIEW,),
    "knowledge.article": (VIEW,),
    "knowledge.articlecategory": (VIEW,),
    "agents.queue": (VIEW,),
    "agents.team": (VIEW,),
    "agents.skill": (VIEW,),
    "telephony.recording": (VIEW,),
    "quality.scorecard": (VIEW,),
    "quality.scorecardversion": (VIEW,),
    "quality.scorecardsection": (VIEW,),
    "quality.criterion": (VIEW,),
    "quality.evaluation": (VIEW, ADD, CHANGE),
    "quality.evaluationanswer": (VIEW, ADD, CHANGE),
    "quality.dispute": (VIEW, CHANGE),
    "quality.calibrationsession": (VIEW, ADD, CHANGE),
    "quality.evaluatorteam": (VIEW,),
}

#: role → {"app_label.model": actions}; the admin role gets every permission.
ROLE_PERMISSIONS: dict[str, dict[str, tuple[str, ...]] | None] = {
    Role.AGENT: _AGENT,
    Role.SUPERVISOR: _SUPERVISOR,
    Role.MANAGER: _MANAGER,
    Role.ADMIN: None,
    Role.QUALITY: _QUALITY,
}

#: Roles that open the Django admin (back office, reports, scripts).
STAFF_ROLES = frozenset({Role.SUPERVISOR, Role.MANAGER, Role.ADMIN})


def group_name(role: str) -> str:
    """The Django group that carries a role's permissions."""
    return role


def sync_role_groups(apps=global_apps) -> None:
    """Create the role groups and give each exactly the permissions of ``ROLE_PERMISSIONS``.

    Works with the historical ``apps`` of a migration and with the live registry.
    """
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    # Permissions are normally created after migrate; make sure they exist now.
    for app_config in apps.get_app_configs():
        # A migration's historical app configs have no models module, which would make
        # create_permissions skip them.
        original = getattr(app_config, "models_module", None)
        app_config.models_module = original or True
        try:
            create_permissions(app_config, verbosity=0, apps=apps)
        finally:
            app_config.models_module = original
    every = list(Permission.objects.select_related("content_type"))
    by_key = {(p.content_type.app_label, p.content_type.model, p.codename): p for p in every}
    for role, table in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=group_name(role))
        if table is None:
            wanted = every
        else:
            wanted = []
            for label, actions in table.items():
                app_label, model = label.split(".")
                for action in actions:
                    perm = by_key.get((app_label, model, f"{action}_{model}"))
                    if perm is not None:
                        wanted.append(perm)
        group.permissions.set(wanted)


def _after_migrate(sender, **kwargs) -> None:
    if sender.label == "agents":
        sync_role_groups()


def connect_signals() -> None:
    post_migrate.connect(_after_migrate, dispatch_uid="switchboard_sync_role_groups")
