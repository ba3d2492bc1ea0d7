"""Background jobs of the email channel (see :mod:`contactcenter.core.jobs`): declared beside the
services they call, named here so that the job discovery finds them."""

from contactcenter.mail.sending import email_send_job

__all__ = ["email_send_job"]
