import factory

from customers.models import ContactPoint, Customer


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    company = ""
    language = "fr"


class PhoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactPoint

    customer = factory.SubFactory(CustomerFactory)
    kind = ContactPoint.Kind.PHONE
    value = factory.Sequence(lambda n: f"+3361{n:07d}")


class EmailFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactPoint

    customer = factory.SubFactory(CustomerFactory)
    kind = ContactPoint.Kind.EMAIL
    value = factory.Sequence(lambda n: f"customer{n}@example.test")
