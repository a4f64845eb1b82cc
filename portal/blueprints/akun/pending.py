"""The half-signed-in state between the password and the second factor.

After a correct password the session holds only a short-lived signed token naming the user, the
user's ``session_epoch`` and the step still missing (a code, or enrolling an authenticator) — not
a sign-in: ``auth.current_user`` ignores it, so no staff page opens. The token expires, and a
password change or deactivation in between (a new epoch) voids it. A TOTP secret being enrolled
waits in the session encrypted with the data keys, never in clear.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, session
from itsdangerous import BadSignature, URLSafeTimedSerializer

from ...extensions import db
from ...models import User
from ...services.crypto import DecryptionError, decrypt_text, encrypt

CODE, ENROL = "kode", "daftar"
#: Minutes to finish each step after the password.
MAX_AGE = {CODE: 5 * 60, ENROL: 15 * 60}
SETUP_MAX_AGE = 15 * 60
_PENDING, _SETUP = "staff_pending", "staff_totp_setup"


@dataclass(frozen=True, slots=True)
class Pending:
    """A user who gave the right password and still owes a step; where to go afterwards."""

    user: User
    next: str


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=f"portal-staff-{salt}")


def start(user: User, step: str, next_url: str) -> None:
    """Remember that ``user`` passed the password and must still do ``step``."""
    session.pop(_SETUP, None)
    session[_PENDING] = _serializer("pending").dumps({"u": user.id, "e": user.session_epoch, "s": step, "n": next_url})


def load(step: str) -> Pending | None:
    """Return the pending sign-in for ``step`` if it is still valid, else None."""
    token = session.get(_PENDING)
    if not token:
        return None
    try:
        data = _serializer("pending").loads(token, max_age=MAX_AGE[step])
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("s") != step:
        return None
    user = db.session.get(User, data.get("u"))
    if user is None or not user.active or user.session_epoch != data.get("e"):
        return None
    return Pending(user, str(data.get("n") or "/moderasi/"))


def clear() -> None:
    """Forget the pending sign-in and any secret being enrolled."""
    session.pop(_PENDING, None)
    session.pop(_SETUP, None)


def setup_secret(user: User, make: Callable[[], str]) -> str:
    """Return the secret being enrolled by ``user``, creating one with ``make()`` if none is waiting."""
    token = session.get(_SETUP)
    if token:
        try:
            data = _serializer("setup").loads(token, max_age=SETUP_MAX_AGE)
            if isinstance(data, dict) and data.get("u") == user.id:
                secret = decrypt_text(str(data["k"]).encode("ascii"))
                if secret:
                    return secret
        except (BadSignature, DecryptionError, KeyError, UnicodeError):
            pass
    secret = make()
    session[_SETUP] = _serializer("setup").dumps({"u": user.id, "k": encrypt(secret).decode("ascii")})
    return secret


def drop_setup() -> None:
    """Forget the secret being enrolled (after it was activated)."""
    session.pop(_SETUP, None)
