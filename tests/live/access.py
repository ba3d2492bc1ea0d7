"""Access-matrix entries of the live layer's routes (merged into tests/api/test_access_matrix.py).

Every role has a socket to open (its own stream), so every role may ask for a ticket; a user
without a role has none (403), and asking needs a token or a session (401).
"""

from __future__ import annotations

from tests.api.matrix import Case, statuses

ENTRIES: dict[tuple[str, str], Case] = {
    ("auth-ws-ticket", "post"): Case(statuses(200), notes="a single-use ticket for ws/agent/ or ws/wallboard/"),
}
