"""The captcha fields and their check, as a base class for the public search forms."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField

from ...services.captcha import ANSWER_LENGTH, verify_challenge

CAPTCHA_ERROR = _l("Kode keamanan salah atau sudah kedaluwarsa. Silakan ketik kode yang baru.")


class CaptchaForm(FlaskForm):
    """A form guarded by a captcha; subclass it and add the form's own fields.

    ``validate`` checks the captcha first and exactly once per form, before any other field,
    because the check consumes the challenge whatever the rest of the form holds. So the view
    must commit on every path after ``validate_on_submit()`` (valid or not), or a wrong guess is
    rolled back and could be repeated, and it must render a new challenge whenever the form is
    shown again. ``captcha_ok`` is None until the check ran, then whether it passed.
    """

    # An explicit (empty) label: without one WTForms translates a label made from the name,
    # and that loads WTForms' message catalogue from disk, on every request that builds the form.
    captcha_id = HiddenField(label="")
    captcha_jawaban = StringField(
        label=_l("Ketik 4 karakter pada gambar"),
        # No autofill, no auto-correction of a random code; capitals on phone keyboards.
        render_kw={
            "autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false",
            "inputmode": "text", "maxlength": ANSWER_LENGTH, "required": True,
        },
    )

    captcha_ok: bool | None = None

    def validate(self, extra_validators: Any = None) -> bool:
        """Check the captcha (once), then every field; add the captcha error if it failed."""
        if self.captcha_ok is None:
            self.captcha_ok = verify_challenge(self.captcha_id.data, self.captcha_jawaban.data)
        fields_ok = super().validate(extra_validators)
        if not self.captcha_ok:
            # After super().validate(), which resets every field's error list.
            self.captcha_jawaban.errors.append(CAPTCHA_ERROR)
        return fields_ok and self.captcha_ok
