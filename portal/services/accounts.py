"""Staff accounts: the password policy, sign-in checks with per-account lockout, and TOTP.

Views and CLI commands call these; nothing here builds a response or commits. The lockout
lives in the database (``users.failed_logins`` and ``locked_until``), so it holds across
workers and when Redis is down; the per-address limit on the sign-in form is Flask-Limiter's.

Unknown usernames answer exactly like wrong passwords, and they "lock" too (counted in the
rate-limit storage, never written anywhere with the typed name), so the lockout message does
not tell an attacker which usernames exist.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import re
import secrets
import string
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import pyotp
import segno
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..extensions import db, limiter
from ..models import Region, Role, User
from ..models.base import utcnow
from . import audit
from .crypto import DecryptionError, decrypt_text, encrypt
from .passwords import hash_password, verify_password

PASSWORD_MIN, PASSWORD_MAX = 12, 128
#: Failed sign-ins in a row (password or code) that lock an account, and for how long.
MAX_FAILURES = 5
LOCK_MINUTES = 15
TOTP_ISSUER = "Portal Transparansi DTSEN"
TOTP_DIGITS = 6
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{2,59}")

_COMMON_FILE = Path(__file__).resolve().parent.parent / "data" / "common-passwords.txt"
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"})
_EDGES = string.digits + string.punctuation + " "


class AccountError(ValueError):
    """Input for an account operation was refused; ``str(error)`` is the message for people."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        #: Which input was wrong: ``username``, ``region`` or ``password``.
        self.field = field


# -- passwords ---------------------------------------------------------------------------------


@cache
def common_passwords() -> frozenset[str]:
    """Return the shipped list of common and leaked passwords (lower case)."""
    lines = _COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("# "))


def password_problem(password: str, username: str | None = None) -> str | None:
    """Return why ``password`` is refused (Bahasa Indonesia), or None if it is acceptable."""
    if len(password) < PASSWORD_MIN:
        return _("Kata sandi minimal %(n)d karakter.", n=PASSWORD_MIN)
    if len(password) > PASSWORD_MAX:
        return _("Kata sandi paling panjang %(n)d karakter.", n=PASSWORD_MAX)
    lowered = password.lower()
    if username:
        name = username.lower()
        parts = [name] + [part for part in re.split(r"[._-]", name) if len(part) >= 4]
        if any(part in lowered for part in parts):
            return _("Kata sandi tidak boleh memuat nama pengguna.")
    core = lowered.strip(_EDGES)
    common = common_passwords()
    if lowered in common or core in common or core.translate(_LEET) in common \
            or lowered.translate(_LEET).strip(_EDGES) in common:
        return _("Kata sandi ini terlalu umum dan mudah ditebak. Pilih kalimat atau gabungan kata lain.")
    if len(set(lowered)) < 5:
        return _("Kata sandi terlalu mudah ditebak: gunakan lebih banyak karakter yang berbeda.")
    return None


def generate_password() -> str:
    """Return a random password for an admin to hand over (about 95 bits, easy to type)."""
    alphabet = "abcdefghijkmnpqrstuvwxyz23456789"
    groups = ["".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(4)]
    return "-".join(groups)


def set_password(user: User, password: str) -> None:
    """Store a new password (already checked) and end the user's other sessions."""
    from ..auth import end_other_sessions

    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    user.failed_logins = 0
    user.locked_until = None
    end_other_sessions(user)


# -- sign-in -----------------------------------------------------------------------------------


class Outcome(enum.Enum):
    """The result of checking a username and password."""

    OK = "ok"
    WRONG = "wrong"  # unknown user or wrong password: one answer for both
    LOCKED = "locked"
    INACTIVE = "inactive"


@dataclass(frozen=True, slots=True)
class Attempt:
    """What ``check_password_login`` found: the outcome, the user if known, until when locked."""

    outcome: Outcome
    user: User | None = None
    locked_until: datetime | None = None


@cache
def _dummy_hash() -> str:
    """A hash to check when the username is unknown, so that answer takes as long as a wrong password."""
    return hash_password(secrets.token_urlsafe(16))


def normalise_username(value: str | None) -> str:
    """Return the username as stored: trimmed and lower case."""
    return (value or "").strip().lower()


def find_user(username: str) -> User | None:
    """Return the account with this username, or None."""
    name = normalise_username(username)
    if not name or len(name) > 60:
        return None
    return db.session.scalar(select(User).where(User.username == name))


def _aware(moment: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; they were stored in UTC.
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def locked_until(user: User) -> datetime | None:
    """Return until when the account refuses sign-ins, or None when it is not locked."""
    until = _aware(user.locked_until)
    return until if until is not None and until > utcnow() else None


def record_failure(user: User, reason: str) -> datetime | None:
    """Count a failed password or code; lock the account at the limit. Return the lock's end, if any."""
    db.session.flush()
    user.failed_logins = User.failed_logins + 1
    db.session.flush()
    db.session.refresh(user, ["failed_logins"])
    audit.record("login_failed", object_type="user", object_id=user.username, details={"reason": reason})
    if user.failed_logins < MAX_FAILURES:
        return None
    until = utcnow() + timedelta(minutes=LOCK_MINUTES)
    user.locked_until = until
    user.failed_logins = 0
    audit.record("lockout", object_type="user", object_id=user.username,
                 details={"minutes": LOCK_MINUTES, "until": until.isoformat(timespec="seconds")})
    current_app.logger.warning("Account %s locked for %d minutes after failed sign-ins.", user.username,
                               LOCK_MINUTES)
    return until


def record_success(user: User) -> None:
    """Reset the failure count and stamp the sign-in; audited as ``login``."""
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = utcnow()
    audit.record("login", actor=user, object_type="user", object_id=user.username)


def _unknown_key(username: str) -> str:
    digest = hashlib.sha256(username.encode("utf-8")).hexdigest()[:32]
    # The limiter's own key prefix, so deployments sharing one Redis keep their counters apart.
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or ""
    return f"{prefix}portal-login-unknown/{digest}"


def _unknown_locked(username: str) -> datetime | None:
    """Until when an unknown username 'is locked' (rate-limit storage), like a real account."""
    try:
        storage = limiter.storage
        key = _unknown_key(username) + "/lock"
        if storage.get(key) > 0:
            return datetime.fromtimestamp(storage.get_expiry(key), UTC)
    except Exception:  # noqa: BLE001 - storage down: the real accounts' lockout still holds
        return None
    return None


def _unknown_failure(username: str) -> datetime | None:
    try:
        storage = limiter.storage
        count = storage.incr(_unknown_key(username), 24 * 3600)
        if count >= MAX_FAILURES:
            storage.clear(_unknown_key(username))
            key = _unknown_key(username) + "/lock"
            storage.incr(key, LOCK_MINUTES * 60)
            return datetime.fromtimestamp(storage.get_expiry(key), UTC)
    except Exception:  # noqa: BLE001 - see _unknown_locked
        return None
    return None


def check_password_login(username: str, password: str) -> Attempt:
    """Check a sign-in's first step; counts failures and writes the audit entries."""
    name = normalise_username(username)
    user = find_user(name)
    if user is None:
        verify_password(_dummy_hash(), password)
        until = _unknown_locked(name)
        if until is not None:
            return Attempt(Outcome.LOCKED, None, until)
        audit.record("login_failed", details={"reason": "unknown_user"})
        until = _unknown_failure(name)
        return Attempt(Outcome.LOCKED if until else Outcome.WRONG, None, until)
    until = locked_until(user)
    if until is not None:
        audit.record("login_failed", object_type="user", object_id=user.username, details={"reason": "locked"})
        return Attempt(Outcome.LOCKED, user, until)
    if not verify_password(user.password_hash, password):
        until = record_failure(user, "password")
        return Attempt(Outcome.LOCKED if until else Outcome.WRONG, user, until)
    if not user.active:
        audit.record("login_failed", object_type="user", object_id=user.username, details={"reason": "inactive"})
        return Attempt(Outcome.INACTIVE, user)
    return Attempt(Outcome.OK, user)


def check_current_password(user: User, password: str) -> bool:
    """Check the password a signed-in user typed to confirm a change; a wrong one counts as a failure."""
    if verify_password(user.password_hash, password):
        return True
    record_failure(user, "password_confirm")
    return False


def needs_second_factor(user: User) -> bool:
    """Report whether signing in takes a TOTP code (enrolled) or an enrolment (required)."""
    return user.totp_secret is not None or bool(current_app.config["REQUIRE_2FA"])


# -- TOTP --------------------------------------------------------------------------------------


def new_totp_secret() -> str:
    """Return a fresh base32 TOTP secret (160 bits)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, username: str) -> str:
    """Return the otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=TOTP_ISSUER)


def qr_svg(uri: str, title: str) -> str:
    """Return the QR code of ``uri`` as inline SVG markup (segno; no script, no style attribute)."""
    code = segno.make(uri, error="m", micro=False)
    return code.svg_inline(scale=1, border=4, omitsize=True, svgclass="qr", lineclass=None, title=title)


def grouped(secret: str) -> str:
    """Return the secret in groups of four, for typing it into an app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def clean_code(code: str | None) -> str | None:
    """Return a six-digit code without spaces or dashes, or None if it is not one."""
    digits = re.sub(r"[\s-]", "", code or "")
    return digits if re.fullmatch(rf"\d{{{TOTP_DIGITS}}}", digits) else None


def matching_step(secret: str, code: str | None, *, after: int | None = None, now: float | None = None) -> int | None:
    """Return the time step whose code is ``code`` (now, or one step either side), newer than ``after``."""
    digits = clean_code(code)
    if digits is None:
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(datetime.fromtimestamp(now if now is not None else time.time(), UTC))
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), digits) and (after is None or step > after):
            return step
    return None


def user_secret(user: User) -> str | None:
    """Return the user's TOTP secret in clear, or None (not enrolled, or the key is gone)."""
    if user.totp_secret is None:
        return None
    try:
        return decrypt_text(user.totp_secret.encode("ascii"))
    except DecryptionError:
        current_app.logger.error("The TOTP secret of %s cannot be decrypted with the data keys.", user.username)
        return None


class CodeResult(enum.Enum):
    """The result of checking a TOTP code."""

    OK = "ok"
    WRONG = "wrong"
    REUSED = "reused"


def check_code(user: User, code: str | None) -> CodeResult:
    """Check a sign-in code against the enrolled secret; a code is accepted once only."""
    secret = user_secret(user)
    if secret is None:
        return CodeResult.WRONG
    step = matching_step(secret, code, after=user.totp_last_step)
    if step is not None:
        user.totp_last_step = step
        return CodeResult.OK
    if user.totp_last_step is not None and matching_step(secret, code) is not None:
        return CodeResult.REUSED
    return CodeResult.WRONG


def enable_totp(user: User, secret: str, code: str | None) -> bool:
    """Activate TOTP if ``code`` matches the new secret; store the secret encrypted. Audited."""
    step = matching_step(secret, code)
    if step is None:
        return False
    user.totp_secret = encrypt(secret).decode("ascii")
    user.totp_last_step = step
    audit.record("totp_enable", actor=user, object_type="user", object_id=user.username)
    return True


def clear_totp(user: User) -> None:
    """Remove the second factor (the caller audits why)."""
    user.totp_secret = None
    user.totp_last_step = None


def disable_totp(user: User) -> None:
    """Remove the second factor at the user's own request. Audited as ``totp_disable``."""
    clear_totp(user)
    audit.record("totp_disable", actor=user, object_type="user", object_id=user.username)


# -- creating accounts -------------------------------------------------------------------------


def region_problem(role: Role, code: str | None) -> str | None:
    """Return why ``code`` does not fit ``role`` (moderator: a regency/city; admin: a province or none)."""
    if role == Role.MODERATOR:
        if not code:
            return _("Moderator harus punya wilayah kerja: kode kabupaten/kota, misalnya 32.73.")
        region = db.session.get(Region, code)
        if region is None or not region.active:
            return _("Kode wilayah %(kode)s tidak ditemukan dalam daftar wilayah.", kode=code)
        if region.level != 2:
            return _("Wilayah moderator harus kabupaten/kota (kode seperti 32.73), bukan %(kode)s.", kode=code)
        return None
    if not code:
        return None
    region = db.session.get(Region, code)
    if region is None or not region.active:
        return _("Kode wilayah %(kode)s tidak ditemukan dalam daftar wilayah.", kode=code)
    if region.level != 1:
        return _("Wilayah admin harus provinsi (kode seperti 32) atau kosong untuk admin nasional.")
    return None


def normalise_region(code: str | None) -> str | None:
    """Return a region code in dotted form (``3273`` → ``32.73``), or None when empty."""
    text = (code or "").strip()
    if not text:
        return None
    if re.fullmatch(r"\d{2}|\d{4}", text):
        return ".".join(text[i:i + 2] for i in range(0, len(text), 2))
    return text


def create_user(username: str, role: Role, region_code: str | None, password: str, *,
                actor: User | None, via: str = "web") -> User:
    """Create an account after checking every rule; raise ``AccountError``. Audited as ``user_create``."""
    name = normalise_username(username)
    if not USERNAME.fullmatch(name):
        raise AccountError(_("Nama pengguna 3–60 karakter: huruf kecil, angka, titik, garis bawah atau "
                             "tanda hubung, diawali huruf atau angka."), "username")
    if db.session.scalar(select(func.count()).select_from(User).where(User.username == name)):
        raise AccountError(_("Nama pengguna %(nama)s sudah dipakai.", nama=name), "username")
    problem = region_problem(role, region_code)
    if problem:
        raise AccountError(problem, "region")
    problem = password_problem(password, name)
    if problem:
        raise AccountError(problem, "password")
    user = User(username=name, password_hash=hash_password(password), role=role, region_code=region_code,
                active=True, password_changed_at=utcnow())
    db.session.add(user)
    db.session.flush()
    audit.record("user_create", actor=actor, object_type="user", object_id=name,
                 details={"role": role.value, "wilayah": region_code, "via": via})
    return user
