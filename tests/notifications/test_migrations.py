"""Migrations 0002 to 0005 upgrade a notifications database that already holds contacts and
push subscriptions, on both databases."""
import shutil

from services.notifications.app import MIGRATIONS
from services.notifications.models import Agent, Contact, Held, Preference, PushSubscription, db
from shared import clock
from shared.db import make_database, run_migrations
from tests.conftest import close_database


def test_later_migrations_keep_contacts_and_subscriptions(database_url, tmp_path):
    only_first = tmp_path / "migrations"
    only_first.mkdir()
    shutil.copy(MIGRATIONS / "0001_initial.py", only_first)
    database = make_database(database_url, "notifications")
    db.initialize(database)
    try:
        assert run_migrations(database, only_first) == ["0001_initial"]
        now = clock.now()
        with database.connection_context():
            database.execute_sql("INSERT INTO contact (user_id, email, locale, updated_at) VALUES (%s, %s, %s, %s)"
                                 .replace("%s", database.param), (1, "old@example.com", "es", now))
            database.execute_sql("INSERT INTO preference (user_id, push_ticket_updates, push_video_calls, push_rewards, "
                                 "email_ticket_updates, email_video_calls, email_rewards, updated_at) "
                                 "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)".replace("%s", database.param),
                                 (1, True, True, False, False, True, True, now))
            database.execute_sql("INSERT INTO pushsubscription (user_id, endpoint, p256dh, auth, created_at) "
                                 "VALUES (%s, %s, %s, %s, %s)".replace("%s", database.param),
                                 (1, "https://push.example/old", "p", "a", now))
        assert run_migrations(database, MIGRATIONS) == ["0002_push_subscription_failures",
                                                        "0003_contact_anti_phishing_code",
                                                        "0004_agent_notices",
                                                        "0005_locale_and_quiet_hours"]
        with database.connection_context():
            old = Contact.get_by_id(1)
            assert (old.email, old.locale, old.anti_phishing_code, old.anti_phishing_code_at,
                    old.locale_changed_at) == ("old@example.com", "es", None, None, None)
            assert PushSubscription.get().failures == 0
            kept = Preference.get_by_id(1)  # a customer's choices kept; the agents' kinds at their defaults
            assert (kept.push_rewards, kept.email_ticket_updates, kept.push_assigned_tickets,
                    kept.email_assigned_tickets, kept.email_sla_breaches) == (False, False, True, False, False)
            Agent.create(user_id=2, name="Ana", supervisor=True, changed_at=now)
            assert Agent.get_by_id(2).active
            assert (kept.quiet_start, kept.quiet_end, kept.quiet_timezone) == (None, None, None)
            assert Held.select().count() == 0
            Contact.update(anti_phishing_code="ABCD1234", anti_phishing_code_at=now).execute()
            assert Contact.get_by_id(1).anti_phishing_code == "ABCD1234"
        assert run_migrations(database, MIGRATIONS) == []
    finally:
        close_database(db)
