"""Security events (docs/security.md, "Security events"): what they are (`model`), where they
go (`log`: ECS JSON lines, the admin plane's ring, counts), and the patterns over time that
some of them are (`patterns`, `policy`). Imports only `domain`: the gateway, the API pipeline,
the QA toolkit and the recette report emit or read them.
"""

from ficoba_sandbox.events.log import EventLog
from ficoba_sandbox.events.model import KINDS, EventType, SecurityEvent, Severity
from ficoba_sandbox.events.patterns import Hours
from ficoba_sandbox.events.policy import Detectors, EventPolicy

__all__ = [
    "KINDS",
    "Detectors",
    "EventLog",
    "EventPolicy",
    "EventType",
    "Hours",
    "SecurityEvent",
    "Severity",
]
