"""Agents' tags and search on the tickets service, SQLite and PostgreSQL: identifiers by
index, words by the full-text index (kept in step with replies, notes, system messages
and redactions), only what the agent may see, the customer's and bad input's refusals."""
import shutil
import sqlite3
from pathlib import Path

import pytest

from services.tickets.app import init_database
from services.tickets.core.models import Message, Ticket
from services.tickets.models import db
from services.tickets.search import index
from tests.conftest import close_database
from tests.support import agent
from tests.tickets.conftest import As, new_ticket

TXID = "0xabc1230000000000000000000000000000000000000000000000000000def456"


def search(who, q, **params):
    response = who.get("/api/v1/agent/search", query_string={"q": q, **params})
    assert response.status_code == 200, response.json
    return [item["number"] for item in response.json["items"]]


def put_tags(who, number, tags):
    return who.put(f"/api/v1/agent/tickets/{number}/tags", json={"tags": tags})


def test_tags_are_normalised_shown_and_filter_the_queue(alice, support):
    first = new_ticket(alice)["number"]
    second = new_ticket(alice, subject="Withdrawal stuck", category="wallet")["number"]
    response = put_tags(support, first, ["  VIP ", "chargeback", "vip", "kyc_2"])
    assert response.status_code == 200, response.json
    assert response.json["tags"] == ["chargeback", "kyc_2", "vip"]
    assert response.json["number"] == first and "messages" in response.json
    assert support.get(f"/api/v1/agent/tickets/{first}").json["tags"] == ["chargeback", "kyc_2", "vip"]
    assert support.get(f"/api/v1/agent/tickets/{second}").json["tags"] == []

    queue = support.get("/api/v1/agent/tickets", query_string={"tag": "VIP"}).json
    assert [t["number"] for t in queue["items"]] == [first]
    assert queue["items"][0]["tags"] == ["chargeback", "kyc_2", "vip"]
    assert support.get("/api/v1/agent/tickets", query_string={"tag": "nothing"}).json["items"] == []

    # The whole set is replaced: "vip" goes, "urgent" comes.
    assert put_tags(support, first, ["chargeback", "urgent"]).json["tags"] == ["chargeback", "urgent"]
    assert support.get("/api/v1/agent/tickets", query_string={"tag": "vip"}).json["items"] == []
    assert put_tags(support, first, []).json["tags"] == []


@pytest.mark.parametrize("tags", [["has space"], [""], ["x" * 41], ["ok", "semi;colon"],
                                  [f"t{i}" for i in range(21)], "vip", [7], None])
def test_bad_tags_are_a_validation_error_naming_tags(alice, support, tags):
    number = new_ticket(alice)["number"]
    response = put_tags(support, number, tags)
    assert response.status_code == 400, response.json
    assert response.json["error"]["code"] == "validation_error"
    assert "tags" in response.json["error"]["details"]["fields"]
    assert support.get(f"/api/v1/agent/tickets/{number}").json["tags"] == []


def test_twenty_tags_and_repeats_are_fine(alice, support):
    number = new_ticket(alice)["number"]
    tags = [f"t{i:02d}" for i in range(20)]
    assert put_tags(support, number, tags).json["tags"] == tags
    assert put_tags(support, number, tags[:19] + ["T00 "]).json["tags"] == tags[:19]


def test_customers_may_not_tag_or_search_and_unknown_tickets_are_404(alice, support):
    number = new_ticket(alice)["number"]
    assert put_tags(alice, number, ["vip"]).status_code == 403
    assert alice.get("/api/v1/agent/search", query_string={"q": number}).status_code == 403
    assert put_tags(support, "99999999", ["vip"]).status_code == 404


def test_search_finds_identifiers_exactly(client, alice, bob, support):
    by_txid = new_ticket(alice, txid=TXID)["number"]
    by_order = new_ticket(alice, subject="Order problem", category="trading_fees_limits", order_id="ORD-77")["number"]
    of_bob = new_ticket(bob, subject="Login trouble", category="account_security")["number"]
    put_tags(support, of_bob, ["vip"])

    assert search(support, by_txid) == [by_txid]
    assert search(support, TXID) == [by_txid]
    assert search(support, TXID.upper().replace("0X", "0x")) == [by_txid]  # hex typed in capitals
    assert search(support, TXID[:-4]) == []  # a TXID is matched whole
    assert search(support, "ORD-77") == [by_order]
    assert search(support, "BOB@example.com") == [of_bob]
    assert search(support, "  vip ") == [of_bob]
    assert set(search(support, "alice@example.com")) == {by_txid, by_order}
    assert search(support, "nobody@example.com") == []


def test_search_finds_words_of_subjects_and_messages_and_notes(alice, bob, support):
    first = new_ticket(alice, subject="Deposit not credited",
                      description="My USDT transfer from Binance has not arrived.")["number"]
    second = new_ticket(bob, subject="Password reset", category="account_security",
                        description="I cannot reset my password.")["number"]
    support.post(f"/api/v1/agent/tickets/{second}/messages", json={"body": "Customer called about phishing",
                                                                    "kind": "note"})
    alice.post(f"/api/v1/tickets/{first}/messages", json={"body": "The hash shows confirmations on Tron"})

    assert search(support, "binance transfer") == [first]
    assert search(support, "deposits") == [first]  # stemmed
    assert search(support, "phishing") == [second]  # an internal note
    assert search(support, "TRON confirmations") == [first]
    assert search(support, "password") == [second]
    assert search(support, "binance password") == []  # every word, in one document
    # The subject weighs more than a message: both mention "deposit", the subject wins.
    third = new_ticket(bob, subject="Question about fees", category="trading_fees_limits",
                       description="Is there a fee on each deposit?")["number"]
    assert search(support, "deposit") == [first, third]


def test_a_redaction_removes_the_words_from_the_index(alice, support):
    number = new_ticket(alice)["number"]
    sent = alice.post(f"/api/v1/tickets/{number}/messages", json={"body": "my secret passphrase zebracorn"}).json
    assert search(support, "zebracorn") == [number]
    redacted = support.post(f"/api/v1/agent/tickets/{number}/messages/{sent['message']['id']}/redaction",
                            json={"reason": "a password"})
    assert redacted.status_code == 200, redacted.json
    assert search(support, "zebracorn") == []
    assert search(support, "passphrase") == []


def test_a_message_moved_to_another_ticket_is_found_under_it(alice, support):
    source = new_ticket(alice, subject="First question")["number"]
    target = new_ticket(alice, subject="Second question", category="wallet")["number"]
    alice.post(f"/api/v1/tickets/{source}/messages", json={"body": "kangaroo wallet address"})
    assert search(support, "kangaroo") == [source]
    # What a merge may do: the messages now belong to the target.
    (Message.update(ticket=Ticket.get(Ticket.number == target).id)
     .where(Message.ticket == Ticket.get(Ticket.number == source).id).execute())
    assert search(support, "kangaroo") == [target]


def test_words_of_a_merged_ticket_lead_to_the_ticket_it_continues_in(alice, support):
    source = new_ticket(alice, subject="First question", description="my narwhal wallet is empty")["number"]
    target = new_ticket(alice, subject="Second question", category="wallet")["number"]
    merged = support.post(f"/api/v1/agent/tickets/{source}/merge", json={"into": target})
    assert merged.status_code == 200, merged.json
    assert search(support, "narwhal") == [target]
    assert search(support, source) == [source]  # its number still names it


def test_search_shows_only_what_the_agent_may_see(client, alice, senior):
    number = new_ticket(alice, subject="Compliance review")["number"]
    assert senior.post(f"/api/v1/tickets/{number}/escalation", json={"reason": "Please look again",
                                                                     "department": "compliance"}).status_code in (403, 404)
    alice.post(f"/api/v1/tickets/{number}/escalation", json={"reason": "Please look again",
                                                            "department": "compliance"})
    outsider = As(client, agent(902))
    insider = As(client, agent(903, department="compliance"))
    assert search(outsider, number) == [] and search(outsider, "compliance review") == []
    assert search(insider, number) == [number] and search(insider, "compliance review") == [number]
    assert put_tags(outsider, number, ["vip"]).status_code == 404


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "   "}, {"q": "x" * 201}])
def test_an_empty_question_is_a_validation_error_naming_q(support, params):
    response = support.get("/api/v1/agent/search", query_string=params)
    assert response.status_code == 400, response.json
    assert response.json["error"]["code"] == "validation_error"
    assert "q" in response.json["error"]["details"]["fields"]


def test_search_limit(alice, support):
    numbers = {new_ticket(alice, subject=f"Lost deposit {i}", category=c)["number"]
               for i, c in enumerate(["wallet", "other", "deposit_withdrawal"])}
    assert len(search(support, "lost deposit", limit=2)) == 2
    assert set(search(support, "lost deposit")) == numbers
    assert support.get("/api/v1/agent/search", query_string={"q": "x", "limit": 0}).status_code == 400


def test_the_migration_indexes_the_messages_an_older_database_holds(tmp_path):
    """The fixture of earlier code (tests/fixtures/databases) has three messages, two of them redacted."""
    path = tmp_path / "tickets.db"
    shutil.copy(Path(__file__).parents[1] / "fixtures" / "databases" / "tickets.sqlite", path)
    init_database(f"sqlite:///{path}")
    close_database(db)
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT rowid FROM message_fts WHERE message_fts MATCH 'body'").fetchall() == [(3,)]
        assert connection.execute("SELECT count(*) FROM ticket_fts WHERE ticket_fts MATCH 'subject'").fetchone() == (3,)


def test_a_question_matching_many_messages_looks_at_the_newest(alice, support, monkeypatch):
    monkeypatch.setattr(index, "WINDOW", 2)
    numbers = [new_ticket(alice, subject=f"Case {i}", category=c, description=f"the llama problem {i}")["number"]
               for i, c in enumerate(["wallet", "other", "deposit_withdrawal", "account_security"])]
    in_subject = new_ticket(alice, subject="Llama question", category="referral_rewards",
                            description="see the subject")["number"]
    # Four messages hold "llama": the newest two are looked at; the subject's match comes first.
    assert search(support, "llama") == [in_subject, numbers[3], numbers[2]]
