"""The demo center (``manage.py demo``): teams, agents, queues, about 2,000 customers and 30 days
of activity on every channel (interactions with realistic timings, tickets, surveys, the presence
log), a call script, knowledge base articles and a training course; loaded once however often
the command runs.

* ``simulator/``: the pure simulator, what happens in the center, as plain values drawn from a
  seeded ``random.Random``: no database, deterministic for a seed;
* ``writer/``: the bulk writer, which turns those values into rows, phase by phase
  (organisation, customers, interactions, tickets, surveys, presence; ``reset`` for ``--reset``);
* ``content/``: the knowledge base articles and the training course, written through the services;
* ``loader``: :func:`~contactcenter.demo.loader.load_demo`, the one transaction that runs it all;
* ``result``, ``errors``: what a run reports, and the error it may stop with;
* ``management/commands/demo.py``: the command, a thin adapter.
"""
