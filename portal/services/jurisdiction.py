"""Who may see what: a moderator works one regency/city; an admin a province or the whole country.

Every back-office query of cases, evidence, dockets and exports goes through ``case_scope``,
and every single object through ``can_access``; anything outside the user's area answers 404,
as if it did not exist.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, true

from ..models import Case, Role, User


def area_code(user: User) -> str | None:
    """Return the code of the user's area (a regency, a province), or None for the whole country.

    A moderator without a regency sees nothing (``case_scope`` is false for them).
    """
    return user.region_code


def covers(user: User, region_code: str) -> bool:
    """Report whether a region (any level, dotted) lies in the user's area."""
    if not user.active:
        return False
    area = area_code(user)
    if area is None:
        return user.role == Role.ADMIN
    return region_code == area or region_code.startswith(area + ".")


def case_scope(user: User) -> ColumnElement[bool]:
    """SQL condition selecting the cases in the user's area."""
    area = area_code(user)
    if area is None:
        return true() if user.role == Role.ADMIN and user.active else Case.id.is_(None)
    if not user.active:
        return Case.id.is_(None)
    # ``regency_code`` is the village code's first five characters; matching it (rather than
    # the village code) lets the database use the (regency_code, state) index.
    if area.count(".") == 1:
        return Case.regency_code == area
    return Case.village_code.like(area + ".%")


def can_access(user: User, case: Case) -> bool:
    """Report whether the user may open this case (its evidence, its identity)."""
    return covers(user, case.village_code)
