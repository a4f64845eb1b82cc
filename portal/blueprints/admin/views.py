"""User management for admins: /admin/pengguna.

An admin sees and manages only accounts inside their own area (a province admin: that
province's admins and its regencies' moderators; a national admin: everyone). Anything else
answers 404, as if it did not exist. Every change is audited as ``user_create`` or
``user_update``; a generated password is shown once, in the answer to the POST, never in a URL
or a flashed message (those live in the session cookie).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, abort, flash, make_response, redirect, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import or_, select

from ... import auth
from ...auth import admin_required
from ...extensions import db
from ...models import Region, Role, User
from ...services import accounts
from ...services import audit as audit_service
from . import bp
from .forms import CreateUserForm


def _me() -> User:
    user = auth.current_user()
    assert user is not None  # noqa: S101 - admin_required let only a signed-in admin in
    return user


def in_area(admin: User, code: str | None) -> bool:
    """Report whether a jurisdiction code lies in the admin's area (None = national)."""
    area = admin.region_code
    if area is None:
        return True
    return code is not None and (code == area or code.startswith(area + "."))


def _visible(admin: User) -> list[User]:
    query = select(User).order_by(User.role, User.region_code, User.username)
    if admin.region_code is not None:
        area = admin.region_code
        query = query.where(or_(User.region_code == area, User.region_code.like(area + ".%")))
    return list(db.session.scalars(query))


def _target(user_id: int) -> User:
    """Return an account the admin may manage, or answer 404."""
    user = db.session.get(User, user_id)
    if user is None or not in_area(_me(), user.region_code):
        abort(404)
    return user


def _region_names(codes: set[str | None]) -> dict[str, str]:
    wanted = [code for code in codes if code]
    if not wanted:
        return {}
    return dict(db.session.execute(select(Region.code, Region.name).where(Region.code.in_(wanted))).all())


@bp.get("/pengguna")
@admin_required
def users() -> Response:
    """List the accounts in the admin's area."""
    admin = _me()
    people = _visible(admin)
    html = render_template("admin/pengguna.html", people=people, admin=admin,
                           names=_region_names({u.region_code for u in people} | {admin.region_code}),
                           locked=accounts.locked_until)
    return make_response(html)


def _create_page(form: CreateUserForm, error: str | None = None, status: int = 200) -> Response:
    admin = _me()
    html = render_template("admin/pengguna_baru.html", form=form, error=error, admin=admin,
                           names=_region_names({admin.region_code}), minimum=accounts.PASSWORD_MIN)
    return make_response(html, status)


@bp.get("/pengguna/baru")
@admin_required
def create_form() -> Response:
    """Show the form for a new account."""
    admin = _me()
    form = CreateUserForm(formdata=None)
    if admin.region_code is not None:
        form.wilayah.data = admin.region_code + "."
    return _create_page(form)


@bp.post("/pengguna/baru")
@admin_required
def create() -> Response:
    """Create an account inside the admin's area."""
    admin = _me()
    form = CreateUserForm()
    if not form.validate_on_submit():
        return _create_page(form, status=422)
    role = Role(form.peran.data)
    code = accounts.normalise_region(form.wilayah.data)
    if role == Role.ADMIN and code is None and admin.region_code is not None:
        form.wilayah.errors = [_("Hanya admin nasional yang dapat membuat admin nasional. Isi kode provinsi Anda.")]
        return _create_page(form, status=422)
    if code is not None and not in_area(admin, code):
        form.wilayah.errors = [_("Wilayah %(kode)s di luar wilayah kerja Anda.", kode=code)]
        return _create_page(form, status=422)
    generated = None
    if form.cara_sandi.data == "buat":
        generated = password = accounts.generate_password()
    else:
        password = form.kata_sandi.data or ""
        if password != (form.ulangi.data or ""):
            form.ulangi.errors = [_("Kedua isian kata sandi tidak sama.")]
            return _create_page(form, status=422)
    try:
        user = accounts.create_user(form.nama_pengguna.data, role, code, password, actor=admin)
    except accounts.AccountError as exc:
        field = {"username": form.nama_pengguna, "region": form.wilayah}.get(exc.field, form.kata_sandi)
        field.errors = [str(exc)]
        return _create_page(form, status=422)
    db.session.commit()
    return _detail_page(user, notice=_("Akun %(nama)s sudah dibuat.", nama=user.username), password=generated,
                        status=201)


def _detail_page(user: User, *, notice: str | None = None, error: str | None = None, password: str | None = None,
                 status: int = 200) -> Response:
    admin = _me()
    html = render_template("admin/pengguna_detail.html", person=user, admin=admin, notice=notice, error=error,
                           password=password, locked_until=accounts.locked_until(user),
                           names=_region_names({user.region_code}))
    return make_response(html, status)


@bp.get("/pengguna/<int:user_id>")
@admin_required
def detail(user_id: int) -> Response:
    """Show one account and what an admin can do with it."""
    return _detail_page(_target(user_id))


def _change(user_id: int, change: str) -> tuple[User, User] | Response:
    """Return (admin, target) for a change, or the refusal when admins act on themselves."""
    admin, user = _me(), _target(user_id)
    if user.id == admin.id:
        return _detail_page(user, error=_("Anda tidak dapat mengubah akun sendiri dari halaman ini. Kata sandi "
                                          "dan verifikasi dua langkah Anda diatur di halaman Akun saya."), status=409)
    audit_service.record("user_update", actor=admin, object_type="user", object_id=user.username,
                         details={"change": change})
    return admin, user


def _apply(user_id: int, change: str, mutate: Callable[[User], None], message: LazyString) -> Response:
    """Make an audited change to an account, then show the account with ``message`` (``%(nama)s``)."""
    result = _change(user_id, change)
    if isinstance(result, Response):
        return result
    _admin, user = result
    mutate(user)
    db.session.commit()
    flash(str(message) % {"nama": user.username}, "info")
    return redirect(f"/admin/pengguna/{user.id}", code=303)


def _deactivated(user: User) -> None:
    user.active = False
    auth.end_other_sessions(user)


def _reactivated(user: User) -> None:
    user.active = True
    _unlocked(user)


def _unlocked(user: User) -> None:
    user.failed_logins, user.locked_until = 0, None


@bp.post("/pengguna/<int:user_id>/nonaktifkan")
@admin_required
def deactivate(user_id: int) -> Response:
    """Deactivate an account: it cannot sign in, and its sessions end now."""
    return _apply(user_id, "deactivate", _deactivated,
                  _l("Akun %(nama)s dinonaktifkan. Sesi yang sedang berjalan sudah diakhiri."))


@bp.post("/pengguna/<int:user_id>/aktifkan")
@admin_required
def reactivate(user_id: int) -> Response:
    """Let a deactivated account sign in again."""
    return _apply(user_id, "reactivate", _reactivated, _l("Akun %(nama)s aktif kembali."))


@bp.post("/pengguna/<int:user_id>/buka-kunci")
@admin_required
def unlock(user_id: int) -> Response:
    """Lift a lockout after failed sign-ins (the user has confirmed it was them)."""
    return _apply(user_id, "unlock", _unlocked, _l("Kunci akun %(nama)s sudah dibuka."))


@bp.post("/pengguna/<int:user_id>/kata-sandi")
@admin_required
def reset_password(user_id: int) -> Response:
    """Give the account a new random password, shown once; its sessions end."""
    result = _change(user_id, "password_reset")
    if isinstance(result, Response):
        return result
    _admin, user = result
    password = accounts.generate_password()
    accounts.set_password(user, password)
    db.session.commit()
    return _detail_page(user, notice=_("Kata sandi baru untuk %(nama)s sudah dibuat.", nama=user.username),
                        password=password)


@bp.post("/pengguna/<int:user_id>/2fa")
@admin_required
def reset_totp(user_id: int) -> Response:
    """Remove the account's authenticator (a lost phone); it enrols again at the next sign-in."""
    result = _change(user_id, "totp_reset")
    if isinstance(result, Response):
        return result
    _admin, user = result
    accounts.clear_totp(user)
    auth.end_other_sessions(user)
    db.session.commit()
    flash(_("Verifikasi dua langkah %(nama)s sudah diatur ulang. Sesi yang sedang berjalan sudah diakhiri.",
            nama=user.username), "info")
    return redirect(f"/admin/pengguna/{user.id}", code=303)


from . import audit_log  # noqa: E402,F401 - /admin/audit shares this blueprint
