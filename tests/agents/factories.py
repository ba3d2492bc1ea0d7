import factory
from django.contrib.auth import get_user_model

from contactcenter.agents.models import AgentProfile, Queue, Role, Skill, Team
from contactcenter.agents.services import _apply_role

PASSWORD = "correct-horse-battery-staple"


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Team {n}")


class SkillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Skill
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"skill-{n}")


class QueueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Queue
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"queue-{n}")
    channel = "voice"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.test")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class AgentProfileFactory(factory.django.DjangoModelFactory):
    """An agent: a user, a profile with a role, and the role's group."""

    class Meta:
        model = AgentProfile
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    role = Role.AGENT
    team = factory.SubFactory(TeamFactory)

    @factory.post_generation
    def queues(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.queues.set(extracted)

    @factory.post_generation
    def role_group(obj, create, extracted, **kwargs):
        if create:
            _apply_role(obj.user, obj.role)
            obj.user.save()
