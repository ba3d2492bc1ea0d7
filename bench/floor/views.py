"""``/customers/<id>/``: a customer by primary key, a model serializer, a generic view."""

from django.urls import path
from rest_framework import generics, serializers

from bench.floor.models import Customer


class CustomerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = ["id", "first_name", "last_name", "company", "language", "created_at", "updated_at"]


class CustomerDetail(generics.RetrieveAPIView):
    queryset = Customer.objects.all()
    serializer_class = CustomerSerializer


urlpatterns = [path("customers/<int:pk>/", CustomerDetail.as_view())]
