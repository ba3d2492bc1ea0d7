from rest_framework.routers import SimpleRouter

from contactcenter.mail.api import views

router = SimpleRouter()
router.register("mailboxes", views.MailboxViewSet, basename="mailbox")

urlpatterns = router.urls
