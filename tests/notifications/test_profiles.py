"""The account's language from `user.profile_changed.v1`: kept over a registration that comes later, and
over an older change retried late; agents' too."""
import datetime as dt

from services.notifications.agents import record_agents
from services.notifications.handlers import record_contacts
from services.notifications.models import Contact, db
from services.notifications.profiles import record_profiles
from shared import clock
from shared.events import Envelope
from tests.notifications.support import agent_changed, registered


def profile_changed(user_id: int, locale: str, at: dt.datetime) -> Envelope:
    return Envelope.new("user.profile_changed.v1", {"user_id": user_id, "locale": locale}, "gateway", occurred_at=at)


def test_the_chosen_language_outlives_late_registrations_and_older_changes(app):
    now = clock.now()
    with db.connection_context():
        record_profiles([profile_changed(1, "zh-Hant", now)])
        record_contacts([registered(1, "Kim@example.com", "en")])  # arrived late: the address, not the language
        assert (Contact.get_by_id(1).email, Contact.get_by_id(1).locale) == ("kim@example.com", "zh-Hant")
        record_profiles([profile_changed(1, "es", now - dt.timedelta(minutes=1))])  # older: ignored
        assert Contact.get_by_id(1).locale == "zh-Hant"
        record_profiles([profile_changed(1, "es", now + dt.timedelta(minutes=1))])
        assert Contact.get_by_id(1).locale == "es"

        record_contacts([registered(2, "lee@example.com", "es")])
        assert Contact.get_by_id(2).locale == "es"
        record_agents([agent_changed(3, "ana@example.com", locale="es")])
        record_profiles([profile_changed(3, "zh-Hant", now)])
        record_agents([agent_changed(3, "ana@example.com", locale="en", roles=("supervisor",))])
        assert (Contact.get_by_id(3).email, Contact.get_by_id(3).locale) == ("ana@example.com", "zh-Hant")
