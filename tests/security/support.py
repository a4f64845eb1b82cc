"""Sample data and helpers for the security tests: every URL rule filled with real objects.

``seed_sample`` builds what the public and staff routes need (Kota Bandung with a current
edition and recipients, a case with evidence, a Musdes docket, staff accounts, a live captcha
challenge) and returns the value for each URL argument, so the tests can walk ``app.url_map``.
A new kind of argument makes ``path_for`` fail until someone says here how to fill it.
"""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser

from flask import Flask
from sqlalchemy import select
from werkzeug.routing import Rule

from portal.extensions import db
from portal.models import MusdesBatch, Recipient, Role, User
from portal.services.captcha import issue_challenge
from portal.services.crypto import encrypt
from tests.laporan_support import minimal_pdf
from tests.moderasi_support import evidence_files, file_usulan
from tests.staff_support import make_user
from tests.wilayah_support import SUKARASA, people, seed_edition

#: The rules that are not pages of the portal: static files are checked on their own.
STATIC = "static"


@dataclass
class Sample:
    """Objects of Kota Bandung and the URL argument values that name them."""

    admin: User
    moderator: User
    arguments: dict[str, object]
    recipient_public_id: str


def seed_sample() -> Sample:
    """Seed an edition, a case with evidence, a docket, staff and a challenge (needs ``regions``)."""
    edition = seed_edition(people(8))
    recipient = db.session.scalars(select(Recipient).where(Recipient.edition_id == edition.id)).first()
    case = file_usulan(SUKARASA, files=evidence_files())
    moderator = make_user("moderator.bandung", Role.MODERATOR, "32.73")
    admin = make_user("admin.uji", Role.ADMIN, None)
    batch = MusdesBatch(village_code=SUKARASA, regency_code="32.73", created_by_id=moderator.id,
                        scan_mime="application/pdf", scan_enc=encrypt(minimal_pdf()))
    db.session.add(batch)
    challenge = issue_challenge()
    db.session.commit()
    arguments: dict[str, object] = {
        "kode": SUKARASA,
        "code": "en",
        "challenge_id": challenge.id,
        "tiket": case.ticket,
        "bukti": case.evidence[0].id,
        "batch_id": batch.id,
        "user_id": moderator.id,
        "filename": "css/portal.css",
    }
    return Sample(admin=admin, moderator=moderator, arguments=arguments, recipient_public_id=recipient.public_id)


def rules(app: Flask) -> list[Rule]:
    """Every URL rule of the app, in a stable order."""
    return sorted(app.url_map.iter_rules(), key=lambda rule: (rule.rule, sorted(rule.methods or ())))


def path_for(rule: Rule, arguments: dict[str, object]) -> str:
    """Build the rule's path from the sample arguments; fail for an argument nobody taught us."""
    unknown = [name for name in rule.arguments if name not in arguments]
    assert not unknown, f"Teach tests/security/support.py how to fill {unknown} of {rule.rule}"
    return rule.build({name: arguments[name] for name in rule.arguments}, append_unknown=False)[1]


def methods_of(rule: Rule) -> list[str]:
    return sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})


class InlineCode(HTMLParser):
    """Collect what a strict CSP would block in a page: inline scripts, styles and handlers."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name.lower(): value or "" for name, value in attrs}
        if tag == "script" and not names.get("src"):
            self.found.append("<script> without src")
        if tag == "style":
            self.found.append("<style> element")
        for name, value in names.items():
            if name == "style":
                self.found.append(f"style attribute on <{tag}>")
            if name.startswith("on") or name.startswith("hx-on"):
                self.found.append(f"event handler {name} on <{tag}>")
            if value.strip().lower().startswith("javascript:"):
                self.found.append(f"javascript: URL in {name} on <{tag}>")

    handle_startendtag = handle_starttag


def inline_code(html: str) -> list[str]:
    """Return the inline code in ``html`` that the portal's CSP would block."""
    parser = InlineCode()
    parser.feed(html)
    parser.close()
    return parser.found
