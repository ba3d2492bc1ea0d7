"""Switchboard's customers table, read as it is (the floor never migrates anything)."""

from django.db import models


class Customer(models.Model):
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    company = models.CharField(max_length=200)
    language = models.CharField(max_length=10)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = "customers_customer"

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"
