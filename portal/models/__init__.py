"""Database models, one module per aggregate."""

from .audit import AuditEvent
from .captcha import CaptchaChallenge
from .cases import Case, CaseEvent, CaseEvidence
from .moderation import CaseNote, MusdesBatch
from .recipients import Edition, Program, Recipient, RecipientProgram
from .regions import Region, RegionLevel
from .stats import RegionStat
from .users import Role, User

__all__ = [
    "AuditEvent",
    "CaptchaChallenge",
    "Case",
    "CaseEvent",
    "CaseEvidence",
    "CaseNote",
    "Edition",
    "MusdesBatch",
    "Program",
    "Recipient",
    "RecipientProgram",
    "Region",
    "RegionLevel",
    "RegionStat",
    "Role",
    "User",
]
