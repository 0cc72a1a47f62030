"""Macros: everyone of the support team lists and uses them; editors write them."""
from __future__ import annotations

import marshmallow as ma
from flask import request
from flask.views import MethodView

from services.tickets.core import presenters
from services.tickets.core.access import agent_ticket, agents_only, require_role
from services.tickets.extensions import attachment_store, outbox, window_days
from services.tickets.models import db
from services.tickets.workspace import macros, schemas
from shared.web import Blueprint, current_caller, load_body

blp = Blueprint("agent_macros", __name__, url_prefix="/api/v1/agent", description="Agents: macros")

EDITOR_ROLE = "editor"


blp.before_request(agents_only)


def require_editor():
    return require_role(EDITOR_ROLE, "Only agents with the editor role write macros.")


def _macro_body() -> dict:
    fields, _ = load_body(schemas.MacroSchema(), allow_multipart=False)
    return macros.check(fields)


@blp.route("/macros")
class Macros(MethodView):
    @blp.arguments(schemas.MacroListQuery, location="query", unknown=ma.RAISE)
    @blp.response(200, schemas.MacroListOut)
    def get(self, args):
        """Every macro by title. With `locale`, those written in that language come first, and each
        carries `body` in it (English where it is missing) and `has_locale`."""
        return {"items": macros.listing(args["locale"]), "next_cursor": None}

    @blp.doc(requestBody={"content": {"application/json": {"schema": schemas.MacroSchema}}})
    @blp.response(201, schemas.MacroOut)
    def post(self):
        """Write a macro (editors). Placeholders: `{{customer_name}}`, `{{ticket_number}}`, `{{agent_name}}`."""
        editor = require_editor()
        fields = _macro_body()
        with db.atomic():
            return macros.macro_dict(macros.create(fields, editor))


@blp.route("/macros/<int:macro_id>")
class MacroDetail(MethodView):
    @blp.response(200, schemas.MacroOut)
    def get(self, macro_id):
        """One macro."""
        return macros.macro_dict(macros.get_macro(macro_id))

    @blp.doc(requestBody={"content": {"application/json": {"schema": schemas.MacroSchema}}})
    @blp.response(200, schemas.MacroOut)
    def put(self, macro_id):
        """Rewrite a macro (editors): the whole of it, as for a new one."""
        require_editor()
        macros.get_macro(macro_id)
        fields = _macro_body()
        with db.atomic():
            return macros.macro_dict(macros.update(macros.get_macro(macro_id), fields))

    @blp.response(204)
    def delete(self, macro_id):
        """Delete a macro (editors)."""
        require_editor()
        with db.atomic():
            macros.get_macro(macro_id).delete_instance()
        return None


@blp.route("/tickets/<string:number>/macros/<int:macro_id>")
class UseMacro(MethodView):
    @blp.response(200, schemas.MacroPreviewOut)
    def get(self, number, macro_id):
        """The macro filled in for this ticket, in its language, without sending anything: for the agent
        to read or edit before sending."""
        agent = current_caller()
        ticket = agent_ticket(agent, number)
        macro = macros.get_macro(macro_id)
        locale, body = macros.fill(macro, ticket, agent)
        return {"macro_id": macro.id, "kind": macro.kind, "resolve": macro.resolve, "locale": locale, "body": body}

    @blp.doc(requestBody={"required": False, "content": {"application/json": {"schema": schemas.MacroUseSchema}}})
    @blp.response(201, schemas.MacroUsedOut)
    def post(self, number, macro_id):
        """Send the macro on the ticket as a message of its kind, by the calling agent, in the ticket's
        language (English when the macro lacks it); a `resolve` macro then resolves the ticket. An
        optional `{body}` sends the agent's edit of the text instead."""
        agent = current_caller()
        agent_ticket(agent, number)
        macros.get_macro(macro_id)
        fields = {"body": None}
        if request.get_data(cache=True):
            fields, _ = load_body(schemas.MacroUseSchema(), allow_multipart=False)
        with db.atomic():
            ticket = agent_ticket(agent, number)
            macro = macros.get_macro(macro_id)
            message = macros.apply(outbox(), attachment_store(), ticket, macro, agent, fields["body"],
                                   window_days=window_days())
        return {"message": presenters.message_dict(message, []), "ticket_status": ticket.status}
