"""The Musdes/Muskel docket: ``/moderasi/musdes`` and ``/moderasi/musdes/<id>`` with its prints.

Thin views: they read the request, find the docket in the user's area (404 otherwise, as if it
did not exist), call ``services.musdes``, commit once and render or redirect.
"""

from __future__ import annotations

from flask import Response, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from ...auth import current_user
from ...database import writes
from ...extensions import db
from ...models import MusdesBatch, Program, Region, User
from ...models.base import utcnow
from ...services import musdes
from ...services.dashboard import as_utc
from ...services.deadlines import office_date
from ...services.musdes import DRAFT, DocketError
from ...services.workflow import public_label
from ..laporan.forms import REASONS
from . import bp
from .forms import OUTCOME_LABELS, SCAN_ACCEPT, MinutesForm, read_decisions, to_decisions

#: How many applied dockets the index lists (newest first).
APPLIED_SHOWN = 50


def _user() -> User:
    user = current_user()
    if user is None:  # portal/access.py already sent anonymous visitors to /masuk
        abort(404)
    return user


def _batch(batch_id: int) -> tuple[User, MusdesBatch]:
    user = _user()
    batch = musdes.find_batch(user, batch_id)
    if batch is None:
        abort(404)
    return user, batch


def _docket_message(error: DocketError) -> str:
    """Return what to tell the moderator when a docket operation is refused."""
    ticket = error.ticket or ""
    messages = {
        "empty": _("Tidak ada kasus dalam tahap Musdes yang menunggu di desa/kelurahan ini."),
        "applied": _("Daftar ini sudah diterapkan dan tidak dapat diubah lagi."),
        "unknown": _("Kasus itu tidak ada dalam daftar ini."),
        "not_empty": _("Daftar ini masih berisi kasus. Keluarkan semua kasus dulu sebelum menghapus daftar."),
        "conflict": _(
            "Kasus %(tiket)s sudah diubah petugas lain sejak halaman ini dibuka. Tidak ada yang disimpan: "
            "periksa kembali daftar di bawah, pilih ulang berkas pindaian, lalu simpan lagi.", tiket=ticket),
        "state": _(
            "Kasus %(tiket)s tidak lagi dalam tahap Musdes. Tidak ada yang disimpan: keluarkan kasus itu dari "
            "daftar, lalu simpan lagi.", tiket=ticket),
        "changed": _(
            "Isi daftar berubah sejak halaman ini dibuka (ada kasus yang ditambahkan atau dikeluarkan). Tidak ada "
            "yang disimpan: periksa kembali daftar di bawah, lalu simpan lagi."),
        "held_on": _("Tanggal musyawarah tidak boleh setelah hari ini."),
        "busy": _("Petugas lain baru saja mengubah kasus desa/kelurahan ini. Tidak ada yang disimpan: muat ulang "
                  "halaman, lalu coba lagi."),
        "reason": _("Tulis alasan penolakan %(tiket)s; alasan ini dibaca pelapor.", tiket=ticket),
        "bad_outcome": _("Pilih hasil musyawarah untuk %(tiket)s.", tiket=ticket),
        "no_scan": _("Daftar ini belum memiliki pindaian berita acara."),
    }
    return messages.get(error.code, _("Permintaan tidak dapat diproses."))


def _region(code: str) -> Region | None:
    return db.session.get(Region, code)


def _labels() -> dict[str, object]:
    programs = dict(db.session.execute(select(Program.code, Program.name)).all())
    return {
        "reason_labels": dict(REASONS),
        "program_labels": programs,
        "outcome_labels": OUTCOME_LABELS,
        "state_label": public_label,
    }


@bp.get("")
def index() -> Response:
    """List the villages waiting for a deliberation, the dockets in preparation and the applied ones."""
    return _index_page()


def _index_page(error: str | None = None, status: int = 200) -> Response:
    user = _user()
    html = render_template(
        "musdes/index.html",
        villages=musdes.waiting_villages(user),
        drafts=musdes.dockets(user, DRAFT),
        applied=musdes.dockets(user, musdes.APPLIED)[:APPLIED_SHOWN],
        error=error,
    )
    return make_response(html, status)


@bp.post("/kumpulkan")
def gather() -> Response:
    """Put a village's waiting cases on its draft docket, then open the docket."""
    user = _user()
    village = (request.form.get("desa") or "").strip()
    try:
        batch, added, created = musdes.gather(user, village)
    except DocketError as refused:
        db.session.rollback()
        if refused.code == "outside":
            abort(404)
        return _index_page(_docket_message(refused), 409)
    db.session.commit()
    if created:
        flash(_("Daftar Musdes #%(nomor)d dibuat dengan %(jumlah)d kasus.", nomor=batch.id, jumlah=added))
    else:
        flash(_("%(jumlah)d kasus ditambahkan ke daftar Musdes #%(nomor)d.", nomor=batch.id, jumlah=added))
    return redirect(url_for("musdes.show", batch_id=batch.id), code=303)


@bp.get("/<int:batch_id>")
def show(batch_id: int) -> Response:
    """Show a docket: its cases, the prints, and the minutes form (or the recorded minutes)."""
    user, batch = _batch(batch_id)
    return _batch_page(user, batch)


def _batch_page(user: User, batch: MusdesBatch, *, form: MinutesForm | None = None, inputs=None,
                errors: list[tuple[str, str]] | None = None, conflict: str | None = None,
                status: int = 200) -> Response:
    lines = musdes.agenda(batch)
    if inputs is None:
        inputs = read_decisions(lines, {})
        for item in inputs:
            item.errors.clear()
            item.version = item.line.version
    else:
        current = {line.case_id: line for line in lines}
        for item in inputs:  # show what is in the database now, with what was typed
            if item.line.case_id in current:
                item.line = current[item.line.case_id]
    form = form or MinutesForm(formdata=None)
    region = _region(batch.village_code)
    html = render_template(
        "musdes/batch.html",
        batch=batch,
        region=region,
        district=_region(batch.village_code[:8]),
        lines=lines,
        inputs=inputs,
        form=form,
        errors=errors or [],
        conflict=conflict,
        case_ids=",".join(str(line.case_id) for line in lines),
        accept=SCAN_ACCEPT,
        today=office_date(utcnow()),
        outcomes=musdes.outcomes(batch) if batch.state == musdes.APPLIED else {},
        **_labels(),
    )
    return make_response(html, status)


def _print_page(template: str, batch_id: int) -> Response:
    _user_, batch = _batch(batch_id)
    html = render_template(
        template,
        batch=batch,
        region=_region(batch.village_code),
        district=_region(batch.village_code[:8]),
        regency=_region(batch.village_code[:5]),
        lines=musdes.agenda(batch),
        printed_on=office_date(utcnow()),
        **_labels(),
    )
    return make_response(html, 200)


@bp.get("/<int:batch_id>/agenda")
def agenda(batch_id: int) -> Response:
    """The anonymized agenda, laid out for printing: one line per case, masked names only."""
    return _print_page("musdes/agenda.html", batch_id)


@bp.get("/<int:batch_id>/berita-acara")
def minutes_template(batch_id: int) -> Response:
    """The minutes template to print and fill in by hand: one decision row per case, signatures."""
    return _print_page("musdes/berita_acara.html", batch_id)


@bp.post("/<int:batch_id>/keluarkan")
def remove(batch_id: int) -> Response:
    """Take one case off a draft docket."""
    user, batch = _batch(batch_id)
    ticket = (request.form.get("tiket") or "").strip()
    try:
        musdes.remove_case(user, batch, ticket)
    except DocketError as refused:
        db.session.rollback()
        return _batch_page(user, batch, conflict=_docket_message(refused), status=409)
    db.session.commit()
    flash(_("Kasus %(tiket)s dikeluarkan dari daftar. Kasus itu menunggu daftar Musdes berikutnya.", tiket=ticket))
    return redirect(url_for("musdes.show", batch_id=batch.id), code=303)


@bp.post("/<int:batch_id>/hapus")
def delete(batch_id: int) -> Response:
    """Delete an empty draft docket."""
    user, batch = _batch(batch_id)
    number = batch.id
    try:
        musdes.delete_batch(user, batch)
    except DocketError as refused:
        db.session.rollback()
        return _batch_page(user, batch, conflict=_docket_message(refused), status=409)
    db.session.commit()
    flash(_("Daftar Musdes #%(nomor)d dihapus.", nomor=number))
    return redirect(url_for("musdes.index"), code=303)


@bp.post("/<int:batch_id>/catat")
def record(batch_id: int) -> Response:
    """Record the berita acara and apply every case's outcome in one transaction."""
    user, batch = _batch(batch_id)
    if batch.state != DRAFT:
        return _batch_page(user, batch, conflict=_docket_message(DocketError("applied")), status=409)
    lines = musdes.agenda(batch)
    form = MinutesForm()
    form.today = office_date(utcnow())
    cases = musdes.batch_cases(batch)
    form.earliest = min((office_date(as_utc(c.created_at)) for c in cases), default=None)
    inputs = read_decisions(lines, request.form)
    valid = form.validate()
    posted_ids = {part for part in (request.form.get("kasus") or "").split(",") if part}
    if posted_ids != {str(line.case_id) for line in lines}:
        return _batch_page(user, batch, form=form, inputs=inputs,
                           conflict=_docket_message(DocketError("changed")), status=409)
    errors = [(f"{name}", str(message)) for name in ("nomor", "tanggal", "hadir", "ringkasan", "pindaian")
              for message in getattr(form, name).errors]
    for item in inputs:
        errors.extend((f"hasil-{item.line.case_id}-1", message) for message in item.errors)
    if not lines:
        errors.append(("kasus", _docket_message(DocketError("empty"))))
    if not valid or errors or form.clean_scan is None:
        return _batch_page(user, batch, form=form, inputs=inputs, errors=errors, status=422)
    minutes = musdes.Minutes(
        number=form.nomor.data, held_on=form.tanggal.data, attendance=int(form.hadir.data),
        summary=form.ringkasan.data or None, scan=form.clean_scan,
    )
    try:
        events = musdes.apply_minutes(user, batch, minutes, to_decisions(inputs))
    except DocketError as refused:
        db.session.rollback()
        batch = musdes.find_batch(user, batch_id) or abort(404)
        status = 409 if refused.code in ("conflict", "state", "changed", "applied") else 422
        return _batch_page(user, batch, form=form, inputs=inputs, conflict=_docket_message(refused),
                           status=status)
    db.session.commit()
    flash(_("Berita acara %(nomor)s tersimpan dan hasil %(jumlah)d kasus sudah diterapkan.",
            nomor=minutes.number, jumlah=len(events)))
    return redirect(url_for("musdes.show", batch_id=batch.id), code=303)


@bp.get("/<int:batch_id>/pindaian")
@writes
def scan(batch_id: int) -> Response:
    """Send the signed scan of the minutes as a download; every view is audited."""
    user, batch = _batch(batch_id)
    try:
        data, media_type = musdes.read_scan(user, batch)
    except DocketError:
        abort(404)
    db.session.commit()
    extension = {"application/pdf": "pdf", "image/png": "png"}.get(media_type, "jpg")
    response = make_response(data)
    response.headers["Content-Type"] = media_type
    response.headers["Content-Disposition"] = f'attachment; filename="berita-acara-musdes-{batch.id}.{extension}"'
    response.headers["Cache-Control"] = "no-store"
    return response
