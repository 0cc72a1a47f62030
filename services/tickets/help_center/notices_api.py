"""Service notices of the help center: anyone reads the active ones; editors write them."""
from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView

from services.tickets.core.access import require_role
from services.tickets.help_center.api import reader_locale
from services.tickets.help_center.editor_api import EDITOR_ROLE
from services.tickets.help_center.models import HelpNotice
from services.tickets.help_center.schemas import NoticeIn, NoticeListOut, NoticeOut, NoticeQuery
from services.tickets.models import db
from shared import clock
from shared.errors import ApiError, not_found
from shared.internal_auth import Caller
from shared.web import Blueprint, current_caller, load_body

blp = Blueprint("help_notices", __name__, url_prefix="/api/v1/help",
                description="Service notices: the active ones for everyone, written by editors")


def require_editor() -> Caller:
    caller = current_caller()
    if caller.kind not in ("user", "guest", "service"):
        raise ApiError(401, "not_authenticated", "Log in as an editor to change notices.")
    return require_role(EDITOR_ROLE, "Only agents with the editor role change notices.")


def notice_dict(notice: HelpNotice) -> dict:
    return {"id": notice.id, "title": notice.title, "body": notice.body, "locale": notice.locale,
            "starts_at": clock.isoformat(notice.starts_at), "ends_at": clock.isoformat(notice.ends_at)}


def active_notices(locale: str) -> list[HelpNotice]:
    """Notices in `locale` whose window holds now (`starts_at <= now < ends_at`, or no end), newest first."""
    now = clock.now()
    return list(HelpNotice.select()
                .where((HelpNotice.locale == locale) & (HelpNotice.starts_at <= now)
                       & (HelpNotice.ends_at.is_null() | (HelpNotice.ends_at > now)))
                .order_by(HelpNotice.starts_at.desc(), HelpNotice.id.desc()))


def notice_or_404(notice_id: int) -> HelpNotice:
    notice = HelpNotice.get_or_none(HelpNotice.id == notice_id)
    if notice is None:
        raise not_found("notice")
    return notice


@blp.route("/notices")
class Notices(MethodView):
    @blp.arguments(NoticeQuery, location="query", unknown=ma.RAISE)
    @blp.response(200, NoticeListOut)
    def get(self, args):
        """The active notices in `locale` (else the caller's language)."""
        return {"items": [notice_dict(n) for n in active_notices(reader_locale(args["locale"]))]}

    @blp.doc(requestBody={"content": {"application/json": {"schema": NoticeIn}}})
    @blp.response(201, NoticeOut)
    def post(self):
        """Write a notice (editors)."""
        editor = require_editor()
        fields, _ = load_body(NoticeIn(), allow_multipart=False)
        notice = HelpNotice.create(**fields, created_by=editor.user_id, created_at=clock.now())
        return notice_dict(notice)


@blp.route("/notices/<int:notice_id>")
class Notice(MethodView):
    @blp.doc(requestBody={"content": {"application/json": {"schema": NoticeIn}}})
    @blp.response(200, NoticeOut)
    def put(self, notice_id):
        """Rewrite a notice: every field, as when writing it (editors)."""
        require_editor()
        fields, _ = load_body(NoticeIn(), allow_multipart=False)
        with db.atomic():
            notice = notice_or_404(notice_id)
            for key, value in fields.items():
                setattr(notice, key, value)
            notice.save()
        return notice_dict(notice)

    @blp.response(204)
    def delete(self, notice_id):
        """Remove a notice (editors)."""
        require_editor()
        notice_or_404(notice_id).delete_instance()
