"""Exports of decided cases: ``/moderasi/ekspor`` (the form, GET) and the CSV download (POST).

The download is a POST: it writes an audit entry and, for SIKS-NG, carries personal data, so it
needs the CSRF token and is never a link that a browser could prefetch or a proxy keep.
"""

from __future__ import annotations

from datetime import date

from flask import Response, abort, make_response, render_template
from flask_babel import lazy_gettext as _l

from ...auth import current_user
from ...extensions import db
from ...models import User
from ...models.base import utcnow
from ...services import exports
from ...services.deadlines import office_date
from . import bp
from .forms import ExportForm

#: What each column means, for the page (the staff guide has the same table).
SIKS_NG_MEANINGS = {
    "no": _l("Nomor urut baris"),
    "tiket": _l("Nomor tiket portal"),
    "jenis": _l("usulan atau sanggahan"),
    "aksi": _l("tambah (usulan), hapus atau perbaiki (sanggahan)"),
    "status": _l("disetujui atau diteruskan"),
    "tanggal_keputusan": _l("Tanggal keputusan pertama (WIB), TTTT-BB-HH"),
    "nik": _l("NIK orang yang diusulkan (kosong untuk sanggahan)"),
    "no_kk": _l("Nomor KK orang yang diusulkan (kosong untuk sanggahan)"),
    "nama": _l("Nama lengkap: orang yang diusulkan, atau penerima yang disanggah"),
    "alamat": _l("Alamat usulan (kosong untuk sanggahan)"),
    "rt": _l("RT, tiga digit"),
    "rw": _l("RW, tiga digit"),
    "kode_desa": _l("Kode Kemendagri desa/kelurahan"),
    "nama_desa": _l("Nama desa/kelurahan"),
    "kode_kecamatan": _l("Kode kecamatan"),
    "nama_kecamatan": _l("Nama kecamatan"),
    "kode_kabupaten": _l("Kode kabupaten/kota"),
    "nama_kabupaten": _l("Nama kabupaten/kota"),
    "kode_provinsi": _l("Kode provinsi"),
    "nama_provinsi": _l("Nama provinsi"),
    "program_diusulkan": _l("Kode program yang diusulkan, dipisah titik koma"),
    "kondisi": _l("Kode kondisi keluarga, dipisah titik koma"),
    "alasan_sanggahan": _l("Kode alasan sanggahan"),
    "keterangan_alasan": _l("Keterangan alasan (misalnya tanggal_meninggal=...)"),
    "edisi_dtsen": _l("Edisi DTSEN saat laporan masuk"),
    "nomor_berita_acara": _l("Nomor berita acara Musdes/Muskel (jika diputuskan melalui musyawarah)"),
    "tanggal_musdes": _l("Tanggal musyawarah"),
}


def _user() -> User:
    user = current_user()
    if user is None:
        abort(404)
    return user


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _page(form: ExportForm, status: int = 200) -> Response:
    errors = [(name, str(message)) for name in ("dari", "sampai", "jenis") for message in getattr(form, name).errors]
    html = render_template(
        "ekspor/index.html",
        form=form,
        errors=errors,
        siks_ng_columns=[(name, str(SIKS_NG_MEANINGS[name])) for name in exports.SIKS_NG_COLUMNS],
        anonymized_columns=exports.ANONYMIZED_COLUMNS,
    )
    return make_response(html, status)


@bp.get("")
def index() -> Response:
    """Show the export form, for the current quarter up to today by default."""
    _user()
    today = office_date(utcnow())
    form = ExportForm(formdata=None, data={"dari": _quarter_start(today), "sampai": today, "jenis": exports.SIKS_NG})
    return _page(form)


@bp.post("")
def download() -> Response:
    """Check the period and send the CSV file; refused periods come back on the form with 400."""
    user = _user()
    form = ExportForm()
    if not form.validate():
        return _page(form, 400)
    start, end = form.period
    result = exports.export(user, form.jenis.data, start, end)
    db.session.commit()
    response = make_response(result.content)
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{result.filename}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Jumlah-Baris"] = str(result.rows)
    return response

