"""Django's PostgreSQL backend with a pool whose connections are checked without a round trip
(see :mod:`contactcenter.core.postgresql.base`)."""
