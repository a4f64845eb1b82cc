"""The anonymized recipient list of one village: filters, order and pages.

Who is listed: the people of the current edition who receive at least one program. Each row
shows the masked name, RT/RW and the programs received with their period (built through
``services.public.village_row``); never the NIK, the KK number, the birth date, the address
beyond RT/RW, or the desil.

Order: RW, then RT, then masked name, then the random public id (so that people with the same
masked name keep a stable order that reveals nothing about their real names).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, select

from ..extensions import db
from ..models import Program, Recipient, RecipientProgram
from .public import ProgramStatus, VillageRow, village_row

PAGE_SIZE = 50

#: ``?rt=`` takes "RT/RW" (e.g. "003/002"), or an RT alone to match it in every RW.
# ASCII digits only: "\d" alone also matches Arabic-Indic and other scripts' digits.
_RT_PATTERN = re.compile(r"(\d{1,3})(?:/(\d{1,3}))?", re.ASCII)


class FilterError(ValueError):
    """A filter or page number in the query string is not valid; the message is for the visitor."""


class PageOutOfRange(LookupError):
    """The page number is past the last page of the list."""

    def __init__(self, pages: int) -> None:
        super().__init__(pages)
        self.pages = pages


@dataclass(frozen=True, slots=True)
class Filters:
    """The list's filters as given in the URL, normalised: program code, RT, RW, page."""

    program: str | None = None
    rt: str | None = None
    rw: str | None = None
    page: int = 1

    @property
    def rt_param(self) -> str | None:
        """Return the ``?rt=`` value that selects these RT/RW filters."""
        if self.rt is None:
            return None
        return f"{self.rt}/{self.rw}" if self.rw else self.rt

    def args(self, page: int | None = None) -> dict[str, str | int]:
        """Return the query arguments for these filters (and another page, if given)."""
        args: dict[str, str | int] = {}
        if self.program:
            args["program"] = self.program
        if self.rt_param:
            args["rt"] = self.rt_param
        number = self.page if page is None else page
        if number > 1:
            args["hal"] = number
        return args


@dataclass(frozen=True, slots=True)
class ProgramChoice:
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class VillageList:
    """One page of a village's list, and what the filter form offers."""

    rows: tuple[VillageRow, ...]
    #: Recipients matching the filters (all pages), and in the village without filters.
    matching: int
    listed: int
    page: int
    pages: int
    programs: tuple[ProgramChoice, ...]
    #: (rt, rw) pairs present in the village, for the RT filter.
    neighbourhoods: tuple[tuple[str, str], ...]

    @property
    def first_number(self) -> int:
        """Return the running number of the first row on this page (1-based)."""
        return (self.page - 1) * PAGE_SIZE + 1


def _pad(number: str) -> str:
    return number.zfill(3)


def parse_filters(program: str | None, rt: str | None, page: str | None, known_programs: set[str]) -> Filters:
    """Validate the query string's filters; raise FilterError with a message for the visitor."""
    program_code = (program or "").strip().upper() or None
    if program_code is not None and program_code not in known_programs:
        raise FilterError(_l("Program bantuan tidak dikenal. Pilih program dari daftar yang tersedia."))
    rt_value = rw_value = None
    if rt and rt.strip():
        match = _RT_PATTERN.fullmatch(rt.strip())
        if match is None:
            raise FilterError(_l("RT tidak valid. Tulis nomor RT (misalnya 003) atau RT/RW (misalnya 003/002)."))
        rt_value = _pad(match.group(1))
        rw_value = _pad(match.group(2)) if match.group(2) else None
    number = 1
    if page is not None and page.strip():
        text = page.strip()
        # isascii first: "²".isdigit() is true but int("²") raises.
        if not (text.isascii() and text.isdigit()) or len(text) > 6 or int(text) < 1:
            raise FilterError(_l("Nomor halaman tidak valid. Gunakan angka 1 atau lebih."))
        number = int(text)
    return Filters(program_code, rt_value, rw_value, number)


def program_codes() -> set[str]:
    """Return the codes of every program (a filter may name an inactive one from an old bookmark)."""
    return set(db.session.scalars(select(Program.code)))


def village_list(edition_id: int, village_code: str, filters: Filters, *, all_rows: bool = False) -> VillageList:
    """Return the page of the village list that ``filters`` select (every row when ``all_rows``).

    Raises PageOutOfRange when the page number is past the last page.
    """
    people = db.session.execute(
        select(Recipient.id, Recipient.public_id, Recipient.name, Recipient.rt, Recipient.rw)
        .where(
            Recipient.edition_id == edition_id,
            Recipient.village_code == village_code,
            exists().where(and_(RecipientProgram.recipient_id == Recipient.id, RecipientProgram.receives.is_(True))),
        )
    ).all()
    received: dict[int, list[tuple[int, str | None]]] = defaultdict(list)
    for recipient_id, program_id, period in db.session.execute(
        select(RecipientProgram.recipient_id, RecipientProgram.program_id, RecipientProgram.period)
        .join(Recipient, Recipient.id == RecipientProgram.recipient_id)
        .where(Recipient.edition_id == edition_id, Recipient.village_code == village_code,
               RecipientProgram.receives.is_(True))
    ):
        received[recipient_id].append((program_id, period))

    programs = db.session.execute(
        select(Program.id, Program.code, Program.name).order_by(Program.sort_order, Program.name)
    ).all()
    by_id = {pid: (code, name) for pid, code, name in programs}
    order = {pid: index for index, (pid, _, _) in enumerate(programs)}
    present = {pid for statuses in received.values() for pid, _ in statuses}

    rows: list[VillageRow] = []
    for recipient_id, public_id, name, rt, rw in people:
        statuses = sorted(received[recipient_id], key=lambda item: order[item[0]])
        codes = {by_id[pid][0] for pid, _ in statuses}
        if filters.program and filters.program not in codes:
            continue
        if filters.rt and (rt != filters.rt or (filters.rw and rw != filters.rw)):
            continue
        shown = tuple(ProgramStatus(by_id[pid][0], by_id[pid][1], True, period) for pid, period in statuses)
        rows.append(village_row(public_id, name, rt, rw, shown))
    rows.sort(key=lambda row: (row.rw, row.rt, row.masked_name, row.public_id))

    pages = max(1, math.ceil(len(rows) / PAGE_SIZE))
    if all_rows:
        page_rows, page = rows, 1
    else:
        if filters.page > pages:
            raise PageOutOfRange(pages)
        page = filters.page
        page_rows = rows[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]
    return VillageList(
        rows=tuple(page_rows),
        matching=len(rows),
        listed=len(people),
        page=page,
        pages=pages,
        programs=tuple(ProgramChoice(code, name) for pid, code, name in programs if pid in present),
        neighbourhoods=tuple(sorted({(rt, rw) for _, _, _, rt, rw in people}, key=lambda pair: (pair[1], pair[0]))),
    )
