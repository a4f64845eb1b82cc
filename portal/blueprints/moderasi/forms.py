"""Reading the queue's filters (GET) and the case page's forms (POST).

Filters are a plain GET form: region codes, states and flags are not personal data, so they
may travel in the URL and be bookmarked. An unknown value is refused with a 400 and a clear
message (``FilterError``), never silently widened to "everything".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from ...models import User
from ...services.cascade import LEVEL_NAMES
from ...services.queue import AreaLevel, QueueFilters, area_levels, region_filter
from ...services.workflow import State
from ..laporan.forms import CONDITIONS, REASONS, RELATIONS, WRONG_FIELDS

KIND_LABELS = {"usulan": _l("Usulan"), "sanggahan": _l("Sanggahan")}
REASON_LABELS: dict[str, LazyString] = dict(REASONS)
CONDITION_LABELS: dict[str, LazyString] = dict(CONDITIONS)
RELATION_LABELS: dict[str, LazyString] = dict(RELATIONS)
WRONG_FIELD_LABELS: dict[str, LazyString] = dict(WRONG_FIELDS)
DEADLINE_CHOICES = {"terlambat": _l("Terlambat"), "segera": _l("Jatuh tempo dalam 3 hari kerja")}
ASSIGNMENT_CHOICES = {"saya": _l("Ditugaskan kepada saya"), "belum": _l("Belum ada petugas")}
#: Query parameters of the queue, in the order they appear in URLs.
FILTER_KEYS = ("status", "jenis", "alasan", *LEVEL_NAMES, "tenggat", "penugasan")


class FilterError(ValueError):
    """A filter value the queue does not know; ``message`` says which, in the user's language."""

    def __init__(self, message: LazyString) -> None:
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True, slots=True)
class QueueRequest:
    """The parsed query string: the filters, the region selects, and the normalised parameters."""

    filters: QueueFilters
    levels: list[AreaLevel]
    params: dict[str, str]

    def query(self, **changes: str | int | None) -> str:
        """Return the query string of the current filters with ``changes`` (None or "" removes a key)."""
        merged: dict[str, str] = dict(self.params)
        for key, value in changes.items():
            if value in (None, ""):
                merged.pop(key, None)
            else:
                merged[key] = str(value)
        ordered = [(k, merged[k]) for k in (*FILTER_KEYS, "hal") if k in merged]
        return urlencode(ordered)


def _choice(args: Mapping[str, str], key: str, allowed: Mapping[str, object] | set[str], message: LazyString) -> str:
    value = (args.get(key) or "").strip()
    if value and value not in allowed:
        raise FilterError(message)
    return value


def read_queue_request(args: Mapping[str, str], user: User) -> QueueRequest:
    """Parse the queue's query string.

    :raises FilterError: a value is not one the form offers, or the page number is not a number.
    """
    status = _choice(args, "status", {s.value for s in State}, _l("Status yang dipilih tidak dikenal."))
    kind = _choice(args, "jenis", KIND_LABELS, _l("Jenis laporan yang dipilih tidak dikenal."))
    reason = _choice(args, "alasan", REASON_LABELS, _l("Alasan sanggahan yang dipilih tidak dikenal."))
    deadline = _choice(args, "tenggat", DEADLINE_CHOICES, _l("Pilihan batas waktu tidak dikenal."))
    assignment = _choice(args, "penugasan", ASSIGNMENT_CHOICES, _l("Pilihan petugas tidak dikenal."))
    raw_page = (args.get("hal") or "1").strip()
    # isascii first: "²".isdigit() is true but int("²") raises; six digits reach the limit.
    if not (raw_page.isascii() and raw_page.isdigit()) or len(raw_page) > 6 or not 0 < int(raw_page) <= 100_000:
        raise FilterError(_l("Nomor halaman harus berupa angka 1 atau lebih."))
    levels = area_levels(user, {name: (args.get(name) or "").strip() or None for name in LEVEL_NAMES})
    filters = QueueFilters(
        state=status or None, kind=kind or None, reason=reason or None, region=region_filter(levels),
        overdue=deadline == "terlambat", due_soon=deadline == "segera",
        mine=assignment == "saya", unassigned=assignment == "belum", page=int(raw_page),
    )
    params = {"status": status, "jenis": kind, "alasan": reason, "tenggat": deadline, "penugasan": assignment}
    params.update({lv.name: lv.selected for lv in levels if lv.selected})
    if filters.page > 1:
        params["hal"] = str(filters.page)
    return QueueRequest(filters, levels, {k: v for k, v in params.items() if v})


def read_int(value: str | None) -> int | None:
    """Return a whole number from a form field, or None (missing or malformed)."""
    text = (value or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None
