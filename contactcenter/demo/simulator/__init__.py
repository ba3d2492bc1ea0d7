"""The pure simulator: what happens in the demo center, as plain values, with no database.

Customers, contacts, tickets, survey answers and the presence log come from a small
discrete-event simulation, deterministic for a seed and a ``now``. Contacts arrive on each
channel along an hourly curve and go first come, first served to the eligible agent who is free
first; agents work shifts with breaks; a caller whose wait exceeds their patience hangs up.
Waits, abandons, handle times, repeats and the presence log therefore agree with one another,
and the KPIs computed from them (SPEC §4) look like a real center's.

Every module here works on dataclasses, numbers and strings drawn from one ``random.Random``;
none imports Django's ORM or the project's models (``tests/test_demo_structure.py`` checks it).
What the database knows and the simulation needs (which dispositions resolve, SLA due times,
the time zone) comes in as arguments. ``contactcenter.demo.writer`` turns the values into rows.

``values`` the choices as strings, ``common`` units and random draws, ``center`` the center's
set-up, ``people`` the customers, ``traffic`` arrivals, ``shifts`` rotas and breaks, ``world``
the simulated state, ``callers`` who gets in touch, ``contacts`` routing and outcomes,
``texts`` the words, ``tickets`` the tickets' lives, ``surveys`` the answers, ``presence`` the
agents' presence log.
"""
