"""Django's PostgreSQL backend, its pooled connections checked without a round trip.

With a pool and ``CONN_HEALTH_CHECKS``, Django has the pool check every connection before handing
it out by sending PostgreSQL an empty query and waiting for the answer: one round trip more on
every request (one of a screen pop's five). A connection the server has closed (restarted, stopped,
a backend terminated) has been told so on its socket: PostgreSQL sends a last message and closes
it. :func:`still_connected` looks at the socket without waiting: nothing to read on an idle
connection means nothing was said, and the connection is handed out as it is; something to read
(that last message, or a notice) and the connection is checked as Django would, with the round
trip. A connection found closed is closed here too, given back to the pool, which opens another
in its place, and the next one is taken. So once the database is back after a restart the next
request works, as before, without the round trip on all the others.

What no check before use can see (a server gone without closing its sockets, a cable pulled) is
found by the request's first query, answered 503 (``DatabaseUnavailableMiddleware``), and the
pool drops the broken connection when it is given back: as with Django's check, which would
have waited on the same dead socket.

Settings (``contactcenter/settings/base.py``) choose this backend for a pooled PostgreSQL and
turn Django's own check off; without a pool, Django's check stays as it is.
"""

from __future__ import annotations

import select
from typing import Any

from django.db.backends.postgresql import base
from psycopg import Connection
from psycopg.pq import TransactionStatus
from psycopg_pool import ConnectionPool


def still_connected(connection: Connection) -> bool:
    """Whether the pooled ``connection`` is usable: without a round trip when it is idle and its
    socket has nothing to read, with one (an empty query) otherwise."""
    if connection.closed or connection.broken:
        return False
    if connection.info.transaction_status == TransactionStatus.IDLE:
        # poll(), not select(): a server process holding many sockets has descriptors past 1024.
        poller = select.poll()
        poller.register(connection.fileno(), select.POLLIN | select.POLLPRI)
        if not poller.poll(0):  # nothing to read, no hang-up, no error
            return True
    try:
        ConnectionPool.check_connection(connection)
    except Exception:  # whatever the reason, this connection is not to be used
        return False
    return True


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params: dict[str, Any]) -> Connection:
        connection = super().get_new_connection(conn_params)
        pool = self.pool
        if pool is None:
            return connection
        # Each connection of the pool at most once: after a restart every one may be closed.
        for _ in range(pool.max_size):
            if still_connected(connection):
                return connection
            connection.close()
            pool.putconn(connection)  # closed: the pool drops it and opens another in its place
            connection = super().get_new_connection(conn_params)
        return connection
