"""An email ticket's conversation on the desk (docs/email.md, "On the desk"): the attachments'
downloads and "send again" on a reply that failed.

Both start from the ticket as the user may see it (``Ticket.objects.visible_to``): a ticket the
user may not see, or a file or message not on it, answers 404.
"""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET, require_POST

from contactcenter.desk.access import page_for
from contactcenter.desk.tickets import desk_ticket
from contactcenter.mail.models import EmailMessage, SendState
from contactcenter.mail.selectors import email_attachment_for, ticket_emails
from contactcenter.mail.sending import email_send_again


@page_for("ticket.read")
@require_GET
def email_attachment(request: HttpRequest, pk: int, attachment: int) -> FileResponse:
    """The file of an attachment of the ticket's mail, as a download (never shown inline: it is
    the sender's file, whatever its type claims)."""
    ticket = desk_ticket(user=request.user, pk=pk)
    found = email_attachment_for(ticket=ticket, pk=attachment)
    if found is None or not found.file:
        raise Http404
    response = FileResponse(found.file.open("rb"), as_attachment=True, filename=found.filename)
    response["Content-Type"] = "application/octet-stream"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@page_for("ticket.write")
@require_POST
def email_resend(request: HttpRequest, pk: int, message: int) -> HttpResponse:
    """Queue a failed reply of the ticket again (its attempts start over); answers the
    conversation. A reply that is not failed (sent meanwhile, queued again by someone else) is
    left as it is."""
    ticket = desk_ticket(user=request.user, pk=pk)
    found = EmailMessage.objects.filter(pk=message, ticket=ticket, direction="outbound").first()
    if found is None:
        raise Http404
    notice = ""
    if found.send_state == SendState.FAILED:
        email_send_again(message=found)
        notice = "queued"
    context = {"ticket": ticket, "emails": ticket_emails(ticket=ticket), "resent": notice}
    return render(request, "desk/tickets/emails.html", context)


urlpatterns = [
    path("desk/tickets/<int:pk>/attachments/<int:attachment>/", email_attachment, name="ticket_email_attachment"),
    path("desk/tickets/<int:pk>/emails/<int:message>/send-again/", email_resend, name="ticket_email_resend"),
]
