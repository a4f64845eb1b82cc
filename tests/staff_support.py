"""Staff accounts for back-office tests: create users and sign them in without the login form."""

from __future__ import annotations

import time

from flask.testing import FlaskClient

from portal.extensions import db
from portal.models import Role, User
from portal.services.passwords import hash_password

PASSWORD = "kata-sandi-uji-yang-panjang-2026"


def make_user(username: str = "moderator.uji", role: Role = Role.MODERATOR, region: str | None = "32.73",
              *, active: bool = True, password: str = PASSWORD) -> User:
    """Create a staff account (a moderator of Kota Bandung by default) and commit it."""
    user = User(username=username, password_hash=hash_password(password), role=role, region_code=region,
                active=active)
    db.session.add(user)
    db.session.commit()
    return user


def sign_in(client: FlaskClient, user: User) -> None:
    """Give the client a signed-in session for ``user``, as ``portal.auth.login`` would."""
    with client.session_transaction() as session:
        session.clear()
        session["staff_id"] = user.id
        session["staff_epoch"] = user.session_epoch
        session["staff_seen"] = session["staff_since"] = int(time.time())
