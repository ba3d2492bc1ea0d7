"""Access-matrix entries for Twilio's webhook (merged by tests/api/test_access_matrix.py).

Twilio sends no token: its signature (``X-Twilio-Signature``, the account's auth token) is the only
credential, whatever the caller's role, so every role gets the same answer. The matrix's center has
no Twilio account configured: 503 for all. With a token configured, every role's request without
Twilio's signature gets 403 and a signed one is applied, token or not
(tests/telephony/test_twilio_webhook.py).
"""

from tests.api.matrix import ROLES, Case

ENTRIES: dict = {
    ("cti-twilio", "post"): Case(
        dict.fromkeys(ROLES, 503),
        body=lambda org: {"EventType": "task.created", "TaskAttributes": "{}"},
        notes="no role: Twilio's signature is the credential; not configured here",
    ),
}
