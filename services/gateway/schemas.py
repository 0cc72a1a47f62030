"""The gateway's own request and response schemas."""
import marshmallow as ma
from marshmallow import fields, validate

from shared.locales import LOCALES

PASSWORD = validate.Length(min=8, max=128)
REGION = validate.Regexp(r"^[A-Z]{2}$", error="Use a two-letter region code, e.g. ES.")
LOCALE_ALIASES = {"zh-tw": "zh-Hant", "zh-hk": "zh-Hant", "zh-hant": "zh-Hant", "zh": "zh-Hant",
                  "en-us": "en", "en-gb": "en", "es-es": "es", "es-mx": "es"}


class Strict(ma.Schema):
    class Meta:
        unknown = ma.RAISE


class LocaleField(fields.String):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.metadata = {"enum": list(LOCALES), "description": "en, es or zh-Hant (also es-MX, zh-TW and the like)",
                         **self.metadata}

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        locale = LOCALE_ALIASES.get(text.lower(), text)
        if locale not in LOCALES:
            raise ma.ValidationError(f"Use one of {', '.join(LOCALES)}.")
        return locale


class RegisterSchema(Strict):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True, load_only=True, validate=PASSWORD)
    locale = LocaleField(load_default="en")
    region = fields.String(load_default=None, allow_none=True, validate=REGION)
    referral_code = fields.String(load_default=None, allow_none=True,
                                  validate=validate.Regexp(r"^[A-Za-z0-9]{4,32}$", error="Not a referral code."))


class LoginSchema(Strict):
    email = fields.String(required=True, validate=validate.Length(min=3, max=254))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=128))


class SubAccountSchema(Strict):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True, load_only=True, validate=PASSWORD)


class DeviceSchema(Strict):
    platform = fields.String(required=True, validate=validate.OneOf(["ios", "android"]))
    device_id = fields.String(required=True, validate=validate.Length(min=1, max=200))


class MfaLoginSchema(Strict):
    mfa_token = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=200))
    code = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=64))


class MfaCodeSchema(Strict):
    code = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=64))


class AntiPhishingCodeSchema(Strict):
    code = fields.String(required=True, allow_none=True, load_only=True, validate=validate.Regexp(
        r"^([A-Za-z0-9]{4,20})?$", error="Use 4 to 20 letters or digits (or nothing, to remove it)."))


class ProfileSchema(Strict):
    """The account's settings it may change itself: its language (of the site's pages, inbox items and emails)."""

    locale = LocaleField(required=True)


class TotpEnrolmentOut(ma.Schema):
    secret = fields.String()
    otpauth_uri = fields.String()
    qr_svg = fields.String()


class RecoveryCodesOut(ma.Schema):
    recovery_codes = fields.List(fields.String())


class UserOut(ma.Schema):
    id = fields.Integer()
    email = fields.String()
    locale = fields.String()
    region = fields.String(allow_none=True)
    role = fields.String()
    is_sub_account = fields.Boolean()
    tier = fields.String()
    department = fields.String(allow_none=True)
    roles = fields.List(fields.String(), metadata={"description": "agents' extra roles: editor, supervisor"})
    created_at = fields.String()
    mfa_enabled = fields.Boolean()
    anti_phishing_code_set = fields.Boolean()


class UserEnvelope(ma.Schema):
    user = fields.Nested(UserOut)


class DeviceOut(ma.Schema):
    platform = fields.String()
    device_id = fields.String()
    created = fields.Boolean(metadata={"description": "false when the device was registered before"})


class DeviceEnvelope(ma.Schema):
    device = fields.Nested(DeviceOut)


class IntegrationEventAcceptedOut(ma.Schema):
    id = fields.String()
    type = fields.String()
    duplicate = fields.Boolean(metadata={"description": "true when this id was accepted before (no second effect)"})


class LoginOut(ma.Schema):
    """The session, or (an account with 2FA) `mfa_required` and the `mfa_token` for `/auth/login/mfa`."""

    access_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()
    user = fields.Nested(UserOut)
    mfa_required = fields.Boolean()
    mfa_token = fields.String()
