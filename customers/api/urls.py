"""``/api/v1/customers/…`` (included by ``contactcenter/api_urls.py``)."""

from rest_framework.routers import SimpleRouter

from customers.api import views

router = SimpleRouter()
# ``customers/lookup/`` is a list route: the router puts it before ``customers/{id}/``, and ids
# are digits only, so "lookup" is never read as an id.
router.register("customers", views.CustomerViewSet, basename="customer")

urlpatterns = router.urls
