"""The bulk writer: turns the simulator's values into rows, phase by phase.

* ``organisation``: teams, skills, queues, staff accounts and the call script, looked up by
  name and created through the services when missing, so that a second run changes nothing;
* ``customers``: customers and their contact points;
* ``interactions``: runs the simulation (with its progress bar) and writes the interactions;
* ``tickets``: tickets and their comments, with references and SLA due times from the services;
* ``surveys``: survey responses;
* ``presence``: the agents' presence log;
* ``reset``: deletes what the phases wrote (``--reset``).

The knowledge base and training content are written by ``contactcenter.demo.content``.

Everything is written in one transaction (``contactcenter.demo.loader``) by bulk inserts,
history included (STYLE principle 6). Each row passes ``full_clean()`` first: its fields and its
model's ``clean()``. Foreign keys, uniqueness and check constraints are left to the database,
which refuses a bad row and so rolls the whole load back; checking them in Python costs several
queries per row and would take the load from seconds to minutes. ``tests/test_demo.py`` runs the
complete ``full_clean()`` on every customer, contact point, interaction, ticket, comment and
survey answer of a small load, and checks the presence log interval by interval.
"""
