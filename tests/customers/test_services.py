import pytest
from django.core.exceptions import ValidationError

from customers.models import ContactPoint, Customer
from customers.services import contact_point_add, customer_create, customer_update
from tests.customers.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_a_customer_is_created_with_phones_in_e164_and_emails_lower_case():
    customer = customer_create(
        first_name="Amélie",
        last_name="Poulain",
        phones=["06 12 34 56 78", "+33 1 70 00 00 00", "0033612345678"],
        emails=["Amelie.Poulain@Example.FR"],
    )
    phones = list(customer.contact_points.phones().values_list("value", flat=True))
    assert phones == ["+33612345678", "+33170000000"]  # the third is the first one again
    assert list(customer.contact_points.emails().values_list("value", flat=True)) == ["amelie.poulain@example.fr"]
    assert customer.contact_points.get(value="+33612345678").is_primary


def test_a_bad_phone_stores_nothing_and_names_the_field():
    with pytest.raises(ValidationError) as excinfo:
        customer_create(first_name="Jean", last_name="Valjean", phones=["06 12 34 56 78", "garbage"])
    assert "phones" in excinfo.value.message_dict
    assert not Customer.objects.exists()
    assert not ContactPoint.objects.exists()


def test_every_bad_field_is_reported_at_once():
    with pytest.raises(ValidationError) as excinfo:
        customer_create(first_name="", last_name="", phones=["nope"], emails=["not-an-email"], tags="x")
    assert set(excinfo.value.message_dict) >= {"last_name", "phones", "emails", "tags"}


def test_a_company_alone_is_a_valid_name():
    customer = customer_create(company="ACME SAS")
    assert str(customer) == "ACME SAS"


def test_tags_are_trimmed_and_deduplicated():
    customer = customer_create(first_name="Ana", tags=[" vip ", "vip", "", "fr"])
    assert customer.tags == ["vip", "fr"]


def test_external_id_is_unique_when_set():
    customer_create(first_name="A", external_id="crm-1")
    customer_create(first_name="B")
    customer_create(first_name="C")  # blank external ids do not collide
    with pytest.raises(ValidationError) as excinfo:
        customer_create(first_name="D", external_id="crm-1")
    assert "external id" in str(excinfo.value)


def test_the_same_phone_twice_on_one_customer_is_refused():
    customer = CustomerFactory()
    contact_point_add(customer=customer, kind="phone", value="06 12 34 56 78")
    with pytest.raises(ValidationError):
        contact_point_add(customer=customer, kind="phone", value="+33 6 12 34 56 78")


def test_history_rows_are_written_on_change_with_the_user(user_factory):
    editor = user_factory()
    customer = customer_create(first_name="Old", last_name="Name", by=editor)
    customer_update(customer=customer, first_name="New", by=editor)
    history = customer.history.order_by("history_date")
    assert [h.first_name for h in history] == ["Old", "New"]
    assert [h.history_type for h in history] == ["+", "~"]
    assert history.last().history_user == editor


def test_contact_point_history_is_kept():
    customer = CustomerFactory()
    point = contact_point_add(customer=customer, kind="phone", value="0612345678")
    point.value = "07 81 23 45 67"
    point.full_clean()
    point.save()
    assert list(point.history.order_by("history_date").values_list("value", flat=True)) == [
        "+33612345678",
        "+33781234567",
    ]


def test_lookup_by_phone_in_any_format():
    customer = customer_create(first_name="Zoé", phones=["+33 6 12 34 56 78"])
    CustomerFactory()
    assert list(Customer.objects.with_phone("0033612345678")) == [customer]
    assert not Customer.objects.with_phone("garbage").exists()


def test_a_write_returns_the_customer_holding_its_contact_points_as_saved_with_their_history(
    user_factory, django_assert_num_queries
):
    editor = user_factory()

    def stored(customer):
        points = ContactPoint.objects.filter(customer=customer).order_by("-is_primary", "id")
        return [(point.pk, point.kind, point.value, point.is_primary) for point in points]

    def held(customer):
        return [(point.pk, point.kind, point.value, point.is_primary) for point in customer.contact_points.all()]

    customer = customer_create(
        first_name="Anne", phones=["06 12 34 56 78", "01 70 00 00 00"], emails=["a@example.test"], by=editor
    )
    with django_assert_num_queries(0):
        created = held(customer)
    assert created == stored(customer) and len(created) == 3

    customer = customer_update(
        customer=Customer.objects.get(pk=customer.pk), phones=["01 70 00 00 00", "07 81 23 45 67"], by=editor
    )
    with django_assert_num_queries(0):
        updated = held(customer)
    assert updated == stored(customer)
    assert [value for _pk, kind, value, _primary in updated if kind == "phone"] == ["+33170000000", "+33781234567"]

    # Every change left its history row, by the editor: each point added (in one insert), the first
    # phone deleted, the second one made primary.
    history = ContactPoint.history.filter(customer_id=customer.pk)
    assert sorted(history.values_list("value", "history_type")) == [
        ("+33170000000", "+"),
        ("+33170000000", "~"),
        ("+33612345678", "+"),
        ("+33612345678", "-"),
        ("+33781234567", "+"),
        ("a@example.test", "+"),
    ]
    assert {row.history_user for row in history} == {editor}


def test_a_deleted_customer_leaves_a_history_row_for_each_contact_point(user_factory):
    from customers.services import customer_delete

    admin = user_factory()
    customer = customer_create(
        first_name="Anne", phones=["06 12 34 56 78", "01 70 00 00 00"], emails=["a@example.test"]
    )
    kept = customer_create(first_name="Paul", phones=["07 81 23 45 67"])
    points = {point.pk: point.value for point in customer.contact_points.all()}
    customer_delete(customer=Customer.objects.get(pk=customer.pk), by=admin)
    assert not Customer.objects.filter(pk=customer.pk).exists()
    assert not ContactPoint.objects.filter(pk__in=points).exists()
    assert list(kept.contact_points.values_list("value", flat=True)) == ["+33781234567"]
    deleted = ContactPoint.history.filter(history_type="-")
    assert {(row.id, row.value, row.customer_id, row.history_user) for row in deleted} == {
        (pk, value, customer.pk, admin) for pk, value in points.items()
    }
    assert customer.history.filter(history_type="-").get().history_user == admin
