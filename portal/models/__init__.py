"""Database models, one module per aggregate."""

from .captcha import CaptchaChallenge
from .cases import Case, CaseEvent, CaseEvidence
from .recipients import Edition, Program, Recipient, RecipientProgram
from .regions import Region, RegionLevel
from .stats import RegionStat
from .users import Role, User

__all__ = [
    "CaptchaChallenge",
    "Case",
    "CaseEvent",
    "CaseEvidence",
    "Edition",
    "Program",
    "Recipient",
    "RecipientProgram",
    "Region",
    "RegionLevel",
    "RegionStat",
    "Role",
    "User",
]
