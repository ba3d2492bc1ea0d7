"""The choices the simulator produces, as plain strings: channels, directions, roles, presence
statuses, break reasons, contact point kinds, priorities, ticket statuses and survey kinds.

They mirror the models' ``TextChoices`` (the simulator imports no model);
``tests/test_demo_structure.py`` checks that each one is a value of its model's choices.
"""

from __future__ import annotations


class Channel:
    VOICE = "voice"
    EMAIL = "email"
    CHAT = "chat"
    SMS = "sms"
    SOCIAL = "social"
    IVR = "ivr"


class Direction:
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class Role:
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    MANAGER = "manager"
    ADMIN = "admin"
    QUALITY = "quality"


class Status:
    AVAILABLE = "available"
    BUSY = "busy"
    WRAP_UP = "wrap_up"
    BREAK = "break"


class BreakReason:
    LUNCH = "lunch"
    TRAINING = "training"
    COACHING = "coaching"
    MEETING = "meeting"
    PERSONAL = "personal"


class PointKind:
    PHONE = "phone"
    EMAIL = "email"
    SOCIAL = "social"


class Priority:
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class TicketStatus:
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    RESOLVED = "resolved"
    CLOSED = "closed"


class SurveyKind:
    CSAT = "csat"
    NPS = "nps"
    CES = "ces"
