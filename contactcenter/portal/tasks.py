"""Background jobs of the customer portal (see :mod:`contactcenter.core.jobs`): declared beside
the services they call, named here so that the job discovery finds them."""

from __future__ import annotations

from datetime import time

from contactcenter.core.jobs import Every, job
from contactcenter.portal.services import (
    portal_link_send_job,
    portal_links_purge,
    portal_messages_follow_retention,
)

__all__ = ["portal_link_send_job", "purge_portal_links"]


@job(every=Every(at=time(3, 57)))
def purge_portal_links() -> dict[str, int]:
    """Delete the sign-in links expired for a week (they sign nobody in already), and blank the
    portal messages whose contact's notes the retention blanked (it runs at 02:47).

    Runs twice safely: deleting what is already gone deletes nothing, a blanked message is not
    blanked again."""
    return {"deleted": portal_links_purge(), "messages_blanked": portal_messages_follow_retention()}
