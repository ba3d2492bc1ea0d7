"""The data set of ``bench/api.py``: a call center's two years, loaded with ``COPY``.

At scale 1: 100,000 customers, 1,000,000 interactions, 100,000 tickets; scale 10 is ten times
each. What is loaded, so that every page and report reads realistic rows:

- 20 queues (12 voice, 3 chat, 3 email, 1 SMS, 1 social), 40 agents per scale unit in teams of
  four (10 teams at scale 1, 100 at scale 10: a bigger center has more teams, not bigger ones);
  team *t*'s agents serve queues *2t* and *2t + 1* (modulo 20). Three named users to measure with:
  ``bench_agent`` (team 0, queues 0 and 1, one of the agents who took calls),
  ``bench_supervisor`` (team 0) and ``bench_manager``; all with :data:`PASSWORD`.
- customers with French and English names (Faker's name lists), a company for a third of them,
  a French mobile number for each, a second number (Paris landline or UK mobile) for a third,
  every number valid for libphonenumber and stored in E.164, an email each;
- interactions spread over the 730 days up to now, in time order (ids follow ``offered_at``, so
  each customer's history is in order too), weekdays busier than weekends, in the day's working
  hours; 9 in 10 from a known customer (a twentieth of the customers call a third of the time);
  5 % self-service IVR, 8 % abandoned, the rest answered with talk, hold and, mostly, after-call
  work, a disposition and a sentiment for most;
- a ticket for about one answered contact in nine, linked to it, with the SLA policy of its
  priority and due times from it (counted in calendar time, not business hours); old tickets
  mostly closed, recent ones open;
- a survey answer for one answered contact in ten; presence stretches of every agent over the
  last 62 days (what occupancy reads in the month reports).

Indexes that do not back a constraint are dropped before the ``COPY`` and created again after
(faster, and whatever indexes the migrations made are the ones measured); triggers are off during
the load (``session_replication_role``), so the FCR repeat flags of the copied interactions are
computed afterwards in one set-based statement (``kpis.rollups.flags_sync(at_once=True)``), the
wallboard's queue counters likewise (``kpis.queue_counts.counters_sync``: one grouped insert), and the
KPI rollup is filled by ``kpis_rollup``, as the nightly job does. Columns added later by a migration, required and
without a default, are filled with a blank value of their type; a column computed in Python on
save would stay blank: the loader names such columns when it finds them.
"""

from __future__ import annotations

import io
import json
import random
import tempfile
import time
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import phonenumbers

PASSWORD = "bench-Pass-2026"  # noqa: S105 (a throw-away database's users)
DAYS = 730
PRESENCE_DAYS = 62
CHUNK = 1 << 20  # characters written to COPY at a time
#: Tables whose secondary indexes are dropped during the load and built again after.
LOADED_TABLES = (
    "customers_customer",
    "customers_contactpoint",
    "interactions_ticket",
    "interactions_interaction",
    "kpis_surveyresponse",
    "agents_presenceinterval",
)
QUEUE_CHANNELS = ["voice"] * 12 + ["chat"] * 3 + ["email"] * 3 + ["sms", "social"]
SUBJECTS = [
    "Facture incorrecte",
    "Changement d'adresse",
    "Colis non reçu",
    "Demande de remboursement",
    "Résiliation de contrat",
    "Problème de connexion",
    "Billing question",
    "Password reset",
    "Damaged item",
    "Upgrade request",
    "Duplicate charge",
    "Delivery delay",
]
NOTES = [
    "",
    "",
    "",
    "Client satisfait, problème réglé.",
    "Rappeler demain matin.",
    "Customer was upset about the delay.",
    "Great call, customer thanked us.",
    "Escalated to back office.",
    "Adresse mise à jour.",
]
WEEKDAY_WEIGHT = [1.0, 1.0, 1.0, 1.0, 0.9, 0.4, 0.15]


@dataclass
class Sizes:
    customers: int
    interactions: int
    tickets: int
    agents: int

    @classmethod
    def for_scale(cls, scale: float) -> Sizes:
        return cls(
            customers=int(100_000 * scale),
            interactions=int(1_000_000 * scale),
            tickets=int(100_000 * scale),
            agents=max(20, int(40 * scale)),
        )


def stamp(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat()


def ascii_word(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum())


def escape(text: str) -> str:
    """``text`` as a field of COPY's text format."""
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def valid_e164(candidate: str) -> str | None:
    number = phonenumbers.parse(candidate)
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mobile_fr(index: int) -> str:
    """A valid French mobile number, distinct for each ``index`` below 10⁸ (a bijection)."""
    value = (index * 7919 + 12_345_678) % 100_000_000
    while True:
        number = valid_e164(f"+336{value:08d}")
        if number:
            return number
        value = (value + 10_000_000) % 100_000_000


def second_phone(index: int, rng: random.Random) -> str | None:
    if rng.random() < 0.5:
        return valid_e164(f"+331{(index * 104_729 + 4_000_000) % 100_000_000:08d}")
    return valid_e164(f"+447{rng.choice('456789')}{(index * 15_485_863) % 100_000_000:08d}")


# --- COPY ------------------------------------------------------------------------------------

BLANKS = {
    "boolean": "f",
    "text": "",
    "character varying": "",
    "integer": "0",
    "smallint": "0",
    "bigint": "0",
    "double precision": "0",
    "jsonb": "{}",
}


def copy_rows(cursor, table: str, columns: list[str], rows: Iterable[str]) -> int:
    """``COPY`` the tab-separated lines ``rows`` (each ending in a newline) into ``columns`` of
    ``table``; returns how many. A required column without a default that ``columns`` do not
    name is given a blank of its type (and named on the console)."""
    cursor.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s "
        "AND is_nullable = 'NO' AND column_default IS NULL AND column_name <> 'id' AND is_generated = 'NEVER'",
        [table],
    )
    extra = [(name, kind) for name, kind in cursor.fetchall() if name not in columns]
    unknown = [(name, kind) for name, kind in extra if kind not in BLANKS]
    if unknown:
        raise SystemExit(f"{table} has required columns the bench does not know how to fill: {unknown}")
    if extra:
        print(f"  note: {table}: filling {[name for name, _ in extra]} with blanks")
        suffix = "".join("\t" + BLANKS[kind] for _name, kind in extra)
        columns = columns + [name for name, _kind in extra]
        rows = (row[:-1] + suffix + "\n" for row in rows)
    count = 0
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        buffer = io.StringIO()
        size = 0
        for row in rows:
            buffer.write(row)
            size += len(row)
            count += 1
            if size >= CHUNK:
                copy.write(buffer.getvalue())
                buffer, size = io.StringIO(), 0
        copy.write(buffer.getvalue())
    return count


def drop_secondary_indexes(cursor) -> list[str]:
    """Drop the loaded tables' indexes that back no constraint; their ``CREATE INDEX`` lines."""
    cursor.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "JOIN pg_class t ON t.oid = i.indrelid WHERE t.relname = ANY(%s) "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
        [list(LOADED_TABLES)],
    )
    found = cursor.fetchall()
    for name, _definition in found:
        cursor.execute(f"DROP INDEX {name}")
    return [definition for _name, definition in found]


# --- Rows --------------------------------------------------------------------------------------


@dataclass
class World:
    """What the rows refer to: ids made through the ORM before the ``COPY``."""

    teams: list[int]
    queues: list[tuple[int, str]]  # (id, channel)
    agents: list[tuple[int, int]]  # (user id, team index)
    dispositions: list[int]
    sla: dict[str, tuple[int, int, int]]  # priority → (policy id, first response min, resolution min)


class Names:
    def __init__(self, seed: int) -> None:
        from faker import Faker

        fakes = [Faker("fr_FR"), Faker("en_GB"), Faker("en_US")]
        Faker.seed(seed)
        self.first = sorted({fake.first_name() for fake in fakes for _ in range(1500)})
        self.last = sorted({fake.last_name() for fake in fakes for _ in range(3000)})
        self.companies = sorted({fake.company() for fake in fakes for _ in range(1500)})
        self.domains = ["example.fr", "example.com", "example.org", "mail.example.net", "exemple.fr"]


def customer_rows(sizes: Sizes, names: Names, since: float, rng: random.Random, points: list) -> Iterator[str]:
    """Customer lines; their contact-point lines are appended to ``points`` (kept as text)."""
    for pk in range(1, sizes.customers + 1):
        first, last = rng.choice(names.first), rng.choice(names.last)
        company = rng.choice(names.companies) if rng.random() < 0.33 else ""
        language = "fr" if rng.random() < 0.8 else "en"
        tags = '["vip"]' if rng.random() < 0.02 else "[]"
        created = stamp(since - rng.uniform(0, 365 * 86400))
        yield (
            f"{pk}\t{escape(first)}\t{escape(last)}\t{escape(company)}\t{language}\t\t{tags}\t"
            f"{'t' if rng.random() < 0.3 else 'f'}\tt\tt\t\t{created}\t{created}\n"
        )
        points.append(f"{pk}\tphone\t{mobile_fr(pk)}\t\tmobile\tt\t{created}\t{created}\n")
        if rng.random() < 0.33:
            other = second_phone(pk, rng)
            if other:
                points.append(f"{pk}\tphone\t{other}\t\twork\tf\t{created}\t{created}\n")
        email = f"{ascii_word(first)}.{ascii_word(last)}{pk}@{rng.choice(names.domains)}"
        points.append(f"{pk}\temail\t{email}\t\t\tt\t{created}\t{created}\n")


CUSTOMER_COLUMNS = [
    "id",
    "first_name",
    "last_name",
    "company",
    "language",
    "notes",
    "tags",
    "consent_marketing",
    "consent_recording",
    "consent_surveys",
    "external_id",
    "created_at",
    "updated_at",
]
POINT_COLUMNS = ["customer_id", "kind", "value", "network", "label", "is_primary", "created_at", "updated_at"]
INTERACTION_COLUMNS = [
    "id",
    "channel",
    "direction",
    "customer_id",
    "agent_id",
    "queue_id",
    "ticket_id",
    "offered_at",
    "answered_at",
    "ended_at",
    "wrapup_ended_at",
    "hold_seconds",
    "disposition_id",
    "resolved",
    "notes",
    "sentiment",
    "sentiment_computed",
    "recording",
    "source",
    "external_id",
    "created_at",
    "updated_at",
]
TICKET_COLUMNS = [
    "id",
    "reference",
    "subject",
    "description",
    "customer_id",
    "status",
    "priority",
    "queue_id",
    "team_id",
    "assignee_id",
    "sla_policy_id",
    "first_response_due",
    "resolution_due",
    "first_responded_at",
    "resolved_at",
    "closed_at",
    "version",
    "created_at",
    "updated_at",
]
SURVEY_COLUMNS = ["interaction_id", "kind", "score", "comment", "created_at"]
PRESENCE_COLUMNS = ["agent_id", "status", "reason", "started_at", "ended_at"]
SCALES = {"csat": (1, 5), "nps": (0, 10), "ces": (1, 7)}
N = r"\N"


def offered_times(total: int, now: float, rng: random.Random) -> Iterator[float]:
    """``total`` arrival times over the :data:`DAYS` days up to ``now``, in order."""
    first = datetime.fromtimestamp(now, UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(
        days=DAYS - 1
    )
    days = [first + timedelta(days=i) for i in range(DAYS)]
    weights = [WEEKDAY_WEIGHT[day.weekday()] for day in days]
    scale = total / sum(weights)
    made = 0
    for i, (day, weight) in enumerate(zip(days, weights, strict=True)):
        count = total - made if i == DAYS - 1 else int(weight * scale + rng.random())
        count = min(count, total - made)
        made += count
        start = day.timestamp() + 7 * 3600  # 08:00 or 09:00 in Paris
        span = 12 * 3600
        moments = sorted(start + rng.random() * span for _ in range(count))
        if i == DAYS - 1:  # today: what has happened yet, the rest squeezed before now
            limit = now - 60
            moments = [m if m < limit else start + (m - start) * (limit - start) / span for m in moments]
            moments.sort()
        yield from moments


def interaction_rows(
    sizes: Sizes, world: World, now: float, rng: random.Random, tickets_out, surveys_out
) -> Iterator[str]:
    """Interaction lines; the tickets and survey answers they lead to are written to the two
    text files (ticket ids follow the interactions that opened them)."""
    served = {}
    by_team: dict[int, list[int]] = {}
    for user, team in world.agents:
        by_team.setdefault(team, []).append(user)
    for team in by_team:
        served[team] = [world.queues[2 * team % len(world.queues)], world.queues[(2 * team + 1) % len(world.queues)]]
    frequent = max(1, sizes.customers // 20)
    answered_share = 0.87 * 0.9  # known customer and answered
    ticket_chance = sizes.tickets / (sizes.interactions * answered_share)
    ticket_pk = 0
    priorities = ["low"] * 2 + ["normal"] * 5 + ["high"] * 2 + ["urgent"]
    for pk, offered in enumerate(offered_times(sizes.interactions, now, rng), start=1):
        user, team = rng.choice(world.agents)
        queue_id, channel = rng.choice(served[team])
        direction = "outbound" if rng.random() < 0.08 else "inbound"
        roll = rng.random()
        customer = (
            N
            if roll < 0.1
            else str(rng.randrange(1, frequent + 1) if roll < 0.4 else rng.randrange(1, sizes.customers + 1))
        )
        fate = rng.random()
        agent, answered, ended, wrapup, hold, disposition, resolved, ticket = N, N, N, N, 0, N, "f", N
        sentiment, notes = N, ""
        if fate < 0.05:  # self-service
            channel, queue = "ivr", N
            ended = stamp(offered + rng.uniform(10, 120))
        elif fate < 0.13:  # abandoned, some within the short-abandon threshold
            queue = str(queue_id)
            ended = stamp(offered + (rng.uniform(0, 4.9) if rng.random() < 0.3 else rng.uniform(5, 240)))
        else:
            queue = str(queue_id) if rng.random() < 0.95 else N
            answer = offered + min(rng.expovariate(1 / 20), 900)
            talk = rng.uniform(40, 700)
            hold = int(rng.uniform(0, talk / 4)) if rng.random() < 0.2 else 0
            end = answer + talk + hold
            agent, answered, ended = str(user), stamp(answer), stamp(end)
            if rng.random() < 0.85:
                wrapup = stamp(end + rng.uniform(5, 120))
                disposition = str(rng.choice(world.dispositions)) if world.dispositions else N
            resolved = "t" if rng.random() < 0.72 else "f"
            if rng.random() < 0.6:
                sentiment = f"{max(-1.0, min(1.0, rng.gauss(0.2, 0.45))):.3f}"
            notes = rng.choice(NOTES)
            if customer != N and rng.random() < ticket_chance and ticket_pk < sizes.tickets:
                ticket_pk += 1
                ticket = str(ticket_pk)
                tickets_out.write(ticket_row(ticket_pk, customer, queue, world, team, user, end, now, rng, priorities))
            if rng.random() < 0.1:
                kind = rng.choice(list(SCALES))
                surveys_out.write(f"{pk}\t{kind}\t{rng.randint(*SCALES[kind])}\t\t{stamp(end + 3600)}\n")
        created = stamp(offered)
        yield (
            f"{pk}\t{channel}\t{direction}\t{customer}\t{agent}\t{queue}\t{ticket}\t{created}\t{answered}\t{ended}\t"
            f"{wrapup}\t{hold}\t{disposition}\t{resolved}\t{escape(notes)}\t{sentiment}\tf\t\tpbx\t\t"
            f"{created}\t{created}\n"
        )


def ticket_row(pk, customer, queue, world, team, user, created, now, rng, priorities) -> str:
    priority = rng.choice(priorities)
    policy, first_minutes, resolution_minutes = world.sla.get(priority, (None, 240, 2880))
    age_days = (now - created) / 86400
    if age_days < 14:
        status = rng.choice(["new", "open", "open", "pending", "resolved"])
    else:
        status = rng.choices(["closed", "resolved", "open", "pending"], weights=[85, 10, 4, 1])[0]
    responded = created + rng.uniform(300, 8 * 3600) if status != "new" else None
    resolved_at = closed_at = None
    if status in ("resolved", "closed"):
        resolved_at = min(created + rng.uniform(3600, 5 * 86400), now - 1)
        resolved_at = max(resolved_at, created)
        if status == "closed":
            closed_at = min(resolved_at + 2 * 86400, now - 1)
            closed_at = max(closed_at, resolved_at)
    if responded is not None and resolved_at is not None:
        responded = min(responded, resolved_at)
    opt = lambda moment: N if moment is None else stamp(moment)  # noqa: E731
    subject = rng.choice(SUBJECTS)
    return (
        f"{pk}\tT-{pk:06d}\t{escape(subject)}\t\t{customer}\t{status}\t{priority}\t{queue}\t{world.teams[team]}\t{user}\t"
        f"{policy if policy else N}\t{stamp(created + first_minutes * 60)}\t"
        f"{stamp(created + resolution_minutes * 60)}\t"
        f"{opt(responded)}\t{opt(resolved_at)}\t{opt(closed_at)}\t1\t{stamp(created)}\t{stamp(closed_at or created)}\n"
    )


def presence_rows(world: World, now: float, rng: random.Random) -> Iterator[str]:
    """Each agent's working days of the last :data:`PRESENCE_DAYS` days: available, busy,
    wrap-up cycles over an 8-hour shift; the last stretch of today is left open."""
    today = datetime.fromtimestamp(now, UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    for user, _team in world.agents:
        for back in range(PRESENCE_DAYS, -1, -1):
            day = today - timedelta(days=back)
            if WEEKDAY_WEIGHT[day.weekday()] < 0.5 and rng.random() < 0.7:
                continue
            t = day.timestamp() + 7 * 3600 + rng.uniform(0, 1800)
            end = min(t + 8 * 3600, now - 1)
            while t < end:
                for status, low, high in (("available", 30, 600), ("busy", 120, 600), ("wrap_up", 30, 120)):
                    following = min(t + rng.uniform(low, high), end)
                    yield f"{user}\t{status}\t\t{stamp(t)}\t{stamp(following)}\n"
                    t = following
                    if t >= end:
                        break


# --- The load --------------------------------------------------------------------------------


def make_world(sizes: Sizes, names: Names, rng: random.Random) -> World:
    """Teams, queues, agents and the three named users, through the ORM and the services."""
    from django.contrib.auth import get_user_model

    from contactcenter.agents.models import AgentProfile, Queue, Team
    from contactcenter.agents.services import agent_provision
    from interactions.models import Disposition, SlaPolicy

    User = get_user_model()
    teams = [Team.objects.create(name=f"Team {i:03}") for i in range(max(10, sizes.agents // 4))]
    queues = [
        Queue.objects.create(name=f"Queue {i:02}", channel=channel, service_level_seconds=rng.choice([20, 30, 60]))
        for i, channel in enumerate(QUEUE_CHANNELS)
    ]
    named = {
        "bench_agent": agent_provision(
            username="bench_agent",
            password=PASSWORD,
            role="agent",
            team=teams[0],
            queues=queues[:2],
            first_name="Camille",
            last_name="Bench",
            validate=False,
        ),
        "bench_supervisor": agent_provision(
            username="bench_supervisor",
            password=PASSWORD,
            role="supervisor",
            team=teams[0],
            queues=queues[:2],
            validate=False,
        ),
        "bench_manager": agent_provision(username="bench_manager", password=PASSWORD, role="manager", validate=False),
    }
    users = User.objects.bulk_create(
        [
            User(
                username=f"agent{i:05}",
                first_name=rng.choice(names.first),
                last_name=rng.choice(names.last),
                password="!",  # noqa: S106 (unusable: these agents never log in)
            )
            for i in range(1, sizes.agents)
        ],
        batch_size=1000,
    )
    AgentProfile.objects.filter(user__in=users).delete()  # any made by a signal: one each, ours
    profiles = AgentProfile.objects.bulk_create(
        [AgentProfile(user=user, team=teams[(i + 1) % len(teams)]) for i, user in enumerate(users)], batch_size=1000
    )
    Through = AgentProfile.queues.through
    Through.objects.bulk_create(
        [
            Through(agentprofile_id=profile.pk, queue_id=queues[(2 * ((i + 1) % len(teams)) + k) % len(queues)].pk)
            for i, profile in enumerate(profiles)
            for k in (0, 1)
        ],
        batch_size=5000,
    )
    agents = [(named["bench_agent"].user.pk, 0)] + [(user.pk, (i + 1) % len(teams)) for i, user in enumerate(users)]
    sla = {
        policy.priority: (policy.pk, policy.first_response_minutes, policy.resolution_minutes)
        for policy in SlaPolicy.objects.all()
    }
    return World(
        teams=[team.pk for team in teams],
        queues=[(queue.pk, queue.channel) for queue in queues],
        agents=agents,
        dispositions=list(Disposition.objects.filter(is_active=True).values_list("pk", flat=True)),
        sla=sla,
    )


def load(sizes: Sizes, seed: int) -> dict[str, int]:
    """Fill the (freshly migrated, empty) database of Django's default connection; counts of rows."""
    from django.db import connection

    from interactions.models import ReferenceCounter
    from kpis import queue_counts, rollups

    rng = random.Random(seed)
    began = time.perf_counter()
    names = Names(seed)
    world = make_world(sizes, names, rng)
    now = time.time()
    since = now - DAYS * 86400
    counts: dict[str, int] = {}
    with connection.cursor() as django_cursor:
        cursor = django_cursor.cursor  # psycopg's own, for COPY
        cursor.execute("SET maintenance_work_mem = '512MB'")
        indexes = drop_secondary_indexes(cursor)
        cursor.execute("SET session_replication_role = replica")  # no trigger, no foreign-key check
        points: list[str] = []
        counts["customers"] = copy_rows(
            cursor, "customers_customer", CUSTOMER_COLUMNS, customer_rows(sizes, names, since, rng, points)
        )
        counts["contact points"] = copy_rows(cursor, "customers_contactpoint", POINT_COLUMNS, points)
        del points
        print(f"  customers loaded ({time.perf_counter() - began:.0f} s)", flush=True)
        with (
            tempfile.TemporaryFile("w+", encoding="utf-8") as tickets,
            tempfile.TemporaryFile("w+", encoding="utf-8") as surveys,
        ):
            counts["interactions"] = copy_rows(
                cursor,
                "interactions_interaction",
                INTERACTION_COLUMNS,
                interaction_rows(sizes, world, now, rng, tickets, surveys),
            )
            print(f"  interactions loaded ({time.perf_counter() - began:.0f} s)", flush=True)
            tickets.seek(0)
            counts["tickets"] = copy_rows(cursor, "interactions_ticket", TICKET_COLUMNS, tickets)
            surveys.seek(0)
            counts["survey answers"] = copy_rows(cursor, "kpis_surveyresponse", SURVEY_COLUMNS, surveys)
        counts["presence stretches"] = copy_rows(
            cursor, "agents_presenceinterval", PRESENCE_COLUMNS, presence_rows(world, now, rng)
        )
        cursor.execute("SET session_replication_role = DEFAULT")
        for table in ("customers_customer", "interactions_interaction", "interactions_ticket"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT coalesce(max(id), 1) FROM {table}))"
            )
        print(f"  rows loaded ({time.perf_counter() - began:.0f} s); building {len(indexes)} indexes", flush=True)
        for definition in indexes:
            cursor.execute(definition)
        # The FCR repeat flags of the rows just copied (their triggers were off): computed set-based,
        # in one statement (the triggers stay off for it: nothing is filled yet), then ``ready``.
        cursor.execute("SET session_replication_role = replica")
        began_flags = time.perf_counter()
        changed = rollups.flags_sync(force=True, at_once=True)
        cursor.execute("SET session_replication_role = DEFAULT")
        print(f"  FCR repeat flags: {changed:,} set ({time.perf_counter() - began_flags:.0f} s)", flush=True)
        # The wallboard's queue counters of the rows just copied: one grouped INSERT … SELECT.
        began_counters = time.perf_counter()
        written = queue_counts.counters_sync(force=True)
        print(f"  queue counters: {written:,} rows ({time.perf_counter() - began_counters:.0f} s)", flush=True)
    ReferenceCounter.objects.update_or_create(name="ticket", defaults={"value": counts["tickets"]})
    counts["seconds"] = int(time.perf_counter() - began)
    return counts


def top_up_today(sizes: Sizes, seed: int) -> int:
    """Give today (the local day of ``TIME_ZONE``) a whole busy day's calls so far, whenever the
    bench runs: the wallboard's figures are today's, and a database loaded yesterday, or a run
    just after midnight, would show it an empty day. The calls are spread from midnight to now,
    a few still waiting in their queue; how many were added."""
    from django.db import connection
    from django.utils import timezone

    from contactcenter.agents.models import AgentProfile, Queue
    from interactions.models import Interaction

    rng = random.Random(seed + int(time.time()))
    now = timezone.now()
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    missing = sizes.interactions // DAYS - Interaction.objects.filter(offered_at__gte=midnight).count()
    if missing <= 0:
        return 0
    queues = {queue.name: (queue.pk, queue.channel) for queue in Queue.objects.filter(name__startswith="Queue ")}
    agents = [
        (user, int(team.removeprefix("Team ")))
        for user, team in AgentProfile.objects.filter(team__name__startswith="Team ").values_list(
            "user_id", "team__name"
        )
    ]
    count = len(QUEUE_CHANNELS)
    served = {
        t: [queues[f"Queue {2 * t % count:02}"], queues[f"Queue {(2 * t + 1) % count:02}"]]
        for t in {t for _u, t in agents}
    }
    lower, upper = midnight.timestamp(), now.timestamp() - 30
    first = (Interaction.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1

    def rows() -> Iterator[str]:
        for pk, offered in enumerate(sorted(lower + rng.random() * (upper - lower) for _ in range(missing)), first):
            user, team = rng.choice(agents)
            queue, channel = rng.choice(served[team])
            customer = str(rng.randrange(1, sizes.customers + 1))
            agent, answered, ended, wrapup = N, N, N, N
            if offered > upper - 300 and rng.random() < 0.3:
                pass  # still waiting in the queue
            elif rng.random() < 0.08:
                ended = stamp(min(offered + rng.uniform(2, 240), upper))
            else:
                answer = offered + min(rng.expovariate(1 / 20), 900)
                end = min(answer + rng.uniform(40, 700), upper)
                agent, answered = str(user), stamp(min(answer, end))
                if end < upper - 60:
                    ended, wrapup = stamp(end), stamp(min(end + rng.uniform(5, 60), upper))
            created = stamp(offered)
            yield (
                f"{pk}\t{channel}\tinbound\t{customer}\t{agent}\t{queue}\t{N}\t{created}\t{answered}\t{ended}\t"
                f"{wrapup}\t0\t{N}\tf\t\t{N}\tf\t\tpbx\t\t{created}\t{created}\n"
            )

    with connection.cursor() as django_cursor:
        cursor = django_cursor.cursor
        added = copy_rows(cursor, "interactions_interaction", INTERACTION_COLUMNS, rows())
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('interactions_interaction', 'id'), "
            "(SELECT max(id) FROM interactions_interaction))"
        )
    return added


def agent_on_a_call() -> bool:
    """Put ``bench_agent`` on a call of a known customer, answered a couple of minutes ago, unless
    they are on one: the desk page is measured with the agent's call panel and its customer at
    every scale (a day's random calls leave them on one, or on an unknown caller's, by chance).
    A call the desk page takes for theirs, of an unknown caller, is given a customer instead (a
    newer call would not be the one shown if that one was answered later). Whether a call was
    added or given a customer."""
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from contactcenter.agents.models import Queue
    from contactcenter.desk.selectors import current_call
    from customers.models import Customer
    from interactions.models import Interaction

    agent = get_user_model().objects.get(username="bench_agent")
    now = timezone.now()
    call = current_call(user=agent)  # as the desk page finds it
    if call is not None:
        if call.customer_id is not None:
            return False
        Interaction.objects.filter(pk=call.pk).update(customer=Customer.objects.order_by("pk").first())
        return True
    Interaction.objects.create(
        channel="voice",
        direction="inbound",
        customer=Customer.objects.order_by("pk").first(),
        agent=agent,
        queue=Queue.objects.get(name="Queue 00"),
        offered_at=now - timedelta(seconds=150),
        answered_at=now - timedelta(seconds=140),
    )
    return True


def describe(counts: dict[str, int]) -> str:
    return json.dumps(counts)
