"""Staff sessions: sign-in, sign-out, the signed-in user, idle timeout, and ending sessions.

Flask's session is a signed cookie. A staff session holds only the user id, the user's
``session_epoch`` at sign-in, the time of the sign-in and the time of the last request. Signing
in clears the session first (nothing from before survives); a password change or deactivation
bumps the epoch, which ends every other session of that user at its next request; 30 minutes
without a request end a session too, and so does the 12th hour after the sign-in however busy
(ASVS V3.3.2: re-authenticate periodically). Public pages never read or write the session.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, has_request_context, request, session

from .extensions import db
from .models import User

IDLE_TIMEOUT = 30 * 60
#: Longest a session lasts from its sign-in, active or not: a working day with overtime.
MAX_LIFETIME = 12 * 60 * 60
_UID, _EPOCH, _SEEN, _SINCE = "staff_id", "staff_epoch", "staff_seen", "staff_since"
_CACHE = "_portal_staff_user"


def login(user: User) -> None:
    """Start a fresh session for ``user`` (after the password and, if required, the TOTP code)."""
    session.clear()
    session[_UID] = user.id
    session[_EPOCH] = user.session_epoch
    session[_SEEN] = session[_SINCE] = int(time.time())
    session.permanent = True
    _remember(user)


def logout() -> None:
    """End this session."""
    session.clear()
    _remember(None)


def end_other_sessions(user: User) -> None:
    """End every session of ``user`` (password change, deactivation); this one is renewed if it is theirs."""
    user.session_epoch = (user.session_epoch or 0) + 1
    if has_request_context() and session.get(_UID) == user.id:
        session[_EPOCH] = user.session_epoch


def current_user() -> User | None:
    """Return the signed-in, active staff member, or None; ends stale or idle sessions."""
    if hasattr(request, _CACHE):
        return getattr(request, _CACHE)
    user = None
    uid = session.get(_UID)
    if uid is not None:
        candidate = db.session.get(User, uid)
        now = int(time.time())
        # A session without a sign-in time (made before it was recorded) counts as expired.
        fresh = (now - int(session.get(_SEEN, 0)) <= IDLE_TIMEOUT
                 and now - int(session.get(_SINCE, 0)) <= MAX_LIFETIME)
        if (candidate is not None and candidate.active and candidate.session_epoch == session.get(_EPOCH)
                and fresh):
            user = candidate
            session[_SEEN] = now
        else:
            session.clear()
    _remember(user)
    return user


def _remember(user: User | None) -> None:
    # Kept on the request (not on g, which a test client may share between requests).
    setattr(request, _CACHE, user)


def admin_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Let only admins through; others get 404 (the page does not exist for them)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        user = current_user()
        if user is None or not user.is_admin:
            abort(404)
        return view(*args, **kwargs)

    return wrapper
