"""The agent workspace in the browser: two agents on one ticket see each other (viewing,
typing) and a reply is held back when the customer wrote meanwhile; a customer's reply
shows live on the assignee's ticket page and bell; a Spanish macro fills the reply box;
merging shows the source's messages in the target; reassigning by name; the header's
search box; tags and the queue's tag filter; the requester's context; the editors'
macros page."""
from __future__ import annotations

import subprocess
import sys
import uuid

import pytest

from tests.e2e.harness import ROOT, login, wait_for, with_2fa
from tests.web import data
from tests.web.browser import Browser, start_chromium
from tests.web.conftest import CHROMEDRIVER, CHROMIUM

pytestmark = pytest.mark.e2e
AGENT_PASSWORD = "agent password 1"


NAMED: list = []


@pytest.fixture(autouse=True)
def _tidy_up(browser):
    """After each test the browser leaves the workspace (whose pages keep polling, and would
    log the next test's logged-out calls), and the agents the test made go `away`, so they take
    no later test's tickets by auto-assignment."""
    yield
    browser.open("/ui/static/icon.svg")
    while NAMED:
        NAMED.pop().put("/api/v1/agent/me/status", json={"status": "away"})


def named_agent(product, name: str, *, editor: bool = False):
    """An agent with a display name (the directory and presence show it), 2FA enrolled."""
    email = f"{name.split()[0].lower()}-{uuid.uuid4().hex[:6]}@support.example"
    args = [sys.executable, "-m", "services.gateway.cli", "create-agent", "--email", email,
            "--password", AGENT_PASSWORD, "--tier", "standard", "--name", name]
    if editor:
        args.append("--editor")
    subprocess.run(args, cwd=ROOT, env=product.env, check=True, capture_output=True, timeout=60)
    agent = with_2fa(login(product, email, AGENT_PASSWORD))
    NAMED.append(agent)
    return agent


def in_directory(agent) -> dict:
    """The agent's entry in the directory, once the tickets service has learnt of it."""
    return wait_for(lambda: next((entry for entry in agent.get("/api/v1/agent/agents").json()["items"]
                                  if entry["id"] == agent.user["id"]), None), timeout=20, message="the directory entry")


@pytest.fixture(scope="module")
def second_browser(tmp_path_factory, product):
    """Another person at another browser (its own profile: its own cookies and live stream)."""
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip("needs chromium and chromium-driver")
    driver = start_chromium(CHROMIUM, CHROMEDRIVER, tmp_path_factory.mktemp("chromium-second"))
    yield Browser(driver, product)
    driver.quit()


def assign(agent, number: str, agent_id: int | None) -> None:
    answer = agent.post(f"/api/v1/agent/tickets/{number}/assign", json={"agent_id": agent_id})
    assert answer.status_code == 200, answer.text


def open_ticket(browser, agent, number: str) -> None:
    browser.log_in_as(agent.email, AGENT_PASSWORD)
    browser.open(f"/agent/tickets/{number}")
    browser.visible("#ticket-facts")


def viewer(browser, agent, state: str = "viewing") -> str:
    return f"#presence .viewer[data-agent-id='{agent.user['id']}'][data-state='{state}']"


def test_two_agents_on_one_ticket_see_each_other_and_a_stale_reply_waits(browser, second_browser, product):
    ana, bo = named_agent(product, "Ana Workspace"), named_agent(product, "Bo Workspace")
    customer = data.customer(product)
    number = data.ticket(customer, subject="Two agents, one ticket")["number"]

    open_ticket(browser, ana, number)
    second_browser.reset()
    open_ticket(second_browser, bo, number)
    assert "Ana Workspace is viewing" in second_browser.visible(viewer(second_browser, ana)).text
    assert "Bo Workspace is viewing" in browser.visible(viewer(browser, bo)).text
    assert not browser.exists(viewer(browser, ana))  # an agent is not its own viewer

    second_browser.type("#agent-body", "Looking into it")  # typing, not sent
    assert "Bo Workspace is typing" in browser.visible(viewer(browser, bo, "typing"), timeout=20).text
    browser.screenshot("agent-presence")

    # Bo's reply reaches Ana's open page by the presence poll, without a reload.
    browser.mark_page()
    second_browser.click("#agent-send")
    browser.wait_text("#history", "Looking into it", timeout=20)
    assert browser.not_reloaded()

    # Ana's page stops following (as a page put away does); the customer writes meanwhile:
    # Ana's reply is held back with the new message, and goes once she confirms.
    browser.driver.execute_script("window.dispatchEvent(new Event('pagehide'))")
    answer = customer.post(f"/api/v1/tickets/{number}/messages", json={"body": "Any news? I am still waiting."})
    assert answer.status_code == 201, answer.text
    browser.type("#agent-body", "It is on its way.")
    browser.click("#agent-send")
    assert "Any news?" in browser.visible("#stale-box").text
    browser.wait_text("#history", "Any news?")  # the page catches up with the ticket (it loads it again)
    bodies = [m["body"] for m in ana.get(f"/api/v1/agent/tickets/{number}").json()["messages"]]
    assert "It is on its way." not in bodies
    browser.screenshot("agent-stale-reply")
    browser.click("#stale-confirm")
    browser.wait_text("#history", "It is on its way.")
    browser.gone("#stale-box")
    second_browser.reset()


def bell_count(browser) -> int:
    return int(browser.find("#bell-count").get_attribute("data-count"))


def test_a_customers_reply_shows_live_on_the_assignees_page_and_bell(browser, product):
    agent = named_agent(product, "Cai Live")
    customer = data.customer(product)
    number = data.ticket(customer, subject="Deposit not credited")["number"]
    assign(agent, number, agent.user["id"])

    open_ticket(browser, agent, number)
    browser.visible("body[data-live=open]")  # the page follows the live stream
    start = agent.get("/api/v1/notifications").json()["unread_count"]
    browser.wait().until(lambda d: bell_count(browser) == start)
    browser.mark_page()

    answer = customer.post(f"/api/v1/tickets/{number}/messages", json={"body": "Here is my TXID again."})
    assert answer.status_code == 201, answer.text
    browser.wait_text("#history", "Here is my TXID again.", timeout=20)
    browser.wait(20).until(lambda d: bell_count(browser) >= start + 1)
    assert browser.not_reloaded()
    browser.screenshot("agent-bell")
    browser.click("#bell")
    assert number in browser.visible("#inbox-list li.unread").text


def test_a_spanish_macro_fills_the_reply_box_in_spanish(browser, product):
    editor = named_agent(product, "Dana Macros", editor=True)
    title = f"Depósito en camino {uuid.uuid4().hex[:4]}"
    created = editor.post("/api/v1/agent/macros", json={
        "title": title, "kind": "info_request", "resolve": False,
        "bodies": {"en": "Hello {{customer_name}}, about ticket {{ticket_number}}: please send the TXID. {{agent_name}}",
                   "es": "Hola {{customer_name}}, sobre el ticket {{ticket_number}}: envíanos el TXID. {{agent_name}}",
                   "zh-Hant": "{{customer_name}} 您好，關於工單 {{ticket_number}}：請提供 TXID。{{agent_name}}"}})
    assert created.status_code == 201, created.text
    macro_id = created.json()["id"]
    customer = data.customer(product, locale="es")
    ticket = data.ticket(customer, subject="Depósito no acreditado")
    assert ticket["locale"] == "es"
    number = ticket["number"]
    name = editor.get(f"/api/v1/agent/tickets/{number}").json()["requester"]["name"]

    open_ticket(browser, editor, number)
    browser.wait().until(lambda d: browser.find("#macro-select").is_enabled())
    browser.choose("#macro-select", str(macro_id))
    browser.click("#macro-apply")
    browser.wait().until(lambda d: browser.find("#agent-body").get_attribute("value").startswith("Hola"))
    text = browser.find("#agent-body").get_attribute("value")
    assert text == f"Hola {name}, sobre el ticket {number}: envíanos el TXID. Dana Macros"
    assert browser.find("#kind-info_request").is_selected()
    browser.screenshot("agent-macro")
    browser.type("#agent-body", " ¡Gracias!", clear=False)  # the agent may edit before sending
    browser.click("#agent-send")
    browser.wait_text("#history", "¡Gracias!")
    browser.wait().until(lambda d: browser.find("#ticket-status").get_attribute("data-status") == "awaiting_user")
    seen = customer.get(f"/api/v1/tickets/{number}").json()
    assert any(m["body"].startswith("Hola ") and m["body"].endswith("¡Gracias!") for m in seen["messages"])


def test_merging_shows_the_sources_messages_in_the_target(browser, product, support_agent):
    customer = data.customer(product)
    target = data.ticket(customer, subject="Withdrawal stuck", description="My ETH withdrawal is stuck.")["number"]
    source = data.ticket(customer, subject="Withdrawal stuck again",
                         description="Second ticket: the ETH withdrawal is still stuck.")["number"]

    open_ticket(browser, support_agent, source)
    browser.type("#merge-into", target)
    browser.click("#merge-submit")
    assert target in browser.visible("#merge-question").text
    browser.click("#merge-confirm")
    browser.wait().until(lambda d: d.current_url.endswith(f"/agent/tickets/{target}"))
    browser.wait_text("#history", "Second ticket: the ETH withdrawal is still stuck.")
    assert "My ETH withdrawal is stuck." in browser.text_of("#history")
    assert "merged" in browser.wait_toast(source)
    browser.screenshot("agent-merged-target")

    browser.open(f"/agent/tickets/{source}")
    assert target in browser.visible("#merged-note").text
    assert browser.find("#merged-link").get_attribute("href").endswith(f"/agent/tickets/{target}")
    browser.wait().until(lambda d: browser.find("#ticket-status").get_attribute("data-status") == "closed")


def test_a_ticket_merged_by_another_agent_says_so_on_an_open_page(browser, product, support_agent):
    customer = data.customer(product)
    target = data.ticket(customer, subject="Card deposit")["number"]
    source = data.ticket(customer, subject="Card deposit, again")["number"]
    open_ticket(browser, named_agent(product, "Jo Watching"), source)
    browser.mark_page()
    merged = support_agent.post(f"/api/v1/agent/tickets/{source}/merge", json={"into": target})
    assert merged.status_code == 200, merged.text
    assert target in browser.visible("#merged-note", timeout=20).text
    assert browser.not_reloaded()


def test_merging_another_requesters_ticket_is_refused(browser, product, support_agent):
    one = data.ticket(data.customer(product), subject="First customer")["number"]
    other = data.ticket(data.customer(product), subject="Second customer")["number"]
    open_ticket(browser, support_agent, one)
    browser.type("#merge-into", other)
    browser.click("#merge-submit")
    browser.click("#merge-confirm")
    assert "same requester" in browser.visible("#merge-error").text
    assert support_agent.get(f"/api/v1/agent/tickets/{one}").json()["merged_into"] is None


def test_reassigning_by_name(browser, product, support_agent):
    eve = named_agent(product, "Eve Reassign")
    assert in_directory(eve)["name"] == "Eve Reassign"
    number = data.ticket(data.customer(product), subject="Reassign me")["number"]
    open_ticket(browser, support_agent, number)
    browser.wait().until(lambda d: browser.exists(f"#assign-to option[value='{eve.user['id']}']"))
    assert "Eve Reassign" in browser.find(f"#assign-to option[value='{eve.user['id']}']").text
    browser.choose("#assign-to", str(eve.user["id"]))
    browser.click("#assign")
    browser.wait_text("#fact-assignee", "Eve Reassign")
    assert support_agent.get(f"/api/v1/agent/tickets/{number}").json()["assignee"]["id"] == eve.user["id"]


def test_the_search_box_finds_a_ticket_by_txid(browser, product, support_agent):
    txid = "0x" + uuid.uuid4().hex * 2
    number = data.ticket(data.customer(product), subject="Deposit on the wrong chain", txid=txid)["number"]
    browser.log_in_as(support_agent.email, AGENT_PASSWORD)
    browser.open("/agent")
    browser.type("#agent-search-q", txid)
    browser.click("#agent-search-go")
    browser.wait().until(lambda d: "/agent/search?q=" in d.current_url)
    browser.visible(f"#result-{number}")
    assert browser.count("#result-rows tr") == 1
    browser.screenshot("agent-search")
    browser.click(f"#result-{number} a")
    browser.wait().until(lambda d: d.current_url.endswith(f"/agent/tickets/{number}"))


def test_tags_are_edited_on_the_ticket_and_filter_the_queue(browser, product, support_agent):
    tag = "chain-" + uuid.uuid4().hex[:6]
    number = data.ticket(data.customer(product), subject="Tag me")["number"]
    other = data.ticket(data.customer(product), subject="Not tagged")["number"]
    open_ticket(browser, support_agent, number)
    browser.type("#tags-input", f"{tag}, Urgent")
    browser.click("#tags-save")
    browser.wait_text("#fact-tags", tag)
    assert "urgent" in browser.text_of("#fact-tags")
    assert set(support_agent.get(f"/api/v1/agent/tickets/{number}").json()["tags"]) == {tag, "urgent"}
    browser.click(f"#fact-tags a[href*='{tag}']")
    browser.wait().until(lambda d: d.current_url.endswith(f"/agent?tag={tag}"))
    browser.visible(f"#queue-{number}")
    assert not browser.exists(f"#queue-{other}")


def test_the_requesters_context_beside_the_ticket(browser, product, support_agent):
    customer = data.customer(product, locale="es", region="ES")
    first = data.ticket(customer, subject="Earlier question")["number"]
    number = data.ticket(customer, subject="Context please")["number"]
    # The context is gathered from events: the registration's may come a moment after the ticket.
    wait_for(lambda: support_agent.get(f"/api/v1/agent/tickets/{number}/context").json()["requester"]["region"],
             timeout=20, message="the requester's registration in the context")
    open_ticket(browser, support_agent, number)
    browser.wait_text("#ctx-email", customer.email)
    assert browser.text_of("#ctx-region") == "ES"
    assert browser.text_of("#ctx-locale") == "Español"
    assert "2" in browser.text_of("#ctx-tickets")
    browser.visible(f"#context-recent a[href='/agent/tickets/{first}']")


def test_editors_write_macros_in_three_languages(browser, product, support_agent):
    editor = named_agent(product, "Fay Editor", editor=True)
    title = f"Welcome {uuid.uuid4().hex[:4]}"
    browser.log_in_as(editor.email, AGENT_PASSWORD)
    browser.open("/agent/macros")
    browser.type("#macro-title", title)
    browser.choose("#macro-kind", "reply")
    browser.find("#macro-resolve").click()
    browser.type("#macro-body-en", "Hello {{customer_name}}, solved.")
    browser.type("#macro-body-es", "Hola {{customer_name}}, resuelto.")
    browser.type("#macro-body-zh-Hant", "{{customer_name}} 您好，已解決。")
    browser.click("#macro-save")
    browser.visible("#macros-done")
    made = wait_for(lambda: next((m for m in editor.get("/api/v1/agent/macros").json()["items"] if m["title"] == title),
                                 None), message="the new macro")
    assert made["resolve"] is True and made["bodies"]["es"] == "Hola {{customer_name}}, resuelto."
    browser.visible(f"#macro-{made['id']}")
    browser.screenshot("agent-macros")

    browser.click(f"#edit-macro-{made['id']}")
    browser.type("#macro-body-es", "Hola {{customer_name}}, ya está resuelto.")
    browser.click("#macro-save")
    wait_for(lambda: editor.get("/api/v1/agent/macros").json()["items"] and next(
        m for m in editor.get("/api/v1/agent/macros").json()["items"] if m["id"] == made["id"]
    )["bodies"]["es"] == "Hola {{customer_name}}, ya está resuelto.", message="the edited macro")

    browser.click(f"#delete-macro-{made['id']}")
    browser.click(f"#confirm-delete-{made['id']}")
    browser.gone(f"#macro-{made['id']}")
    assert all(m["id"] != made["id"] for m in editor.get("/api/v1/agent/macros").json()["items"])

    browser.reset()  # a plain agent has no macros page
    browser.log_in_as(support_agent.email, AGENT_PASSWORD)
    browser.open("/agent/macros")
    browser.wait().until(lambda d: d.current_url.endswith("/agent"))
    assert not browser.exists("#macros-link")


def test_the_agents_own_status(browser, product):
    gus = named_agent(product, "Gus Status")
    assert in_directory(gus)["status"] == "available"
    browser.log_in_as(gus.email, AGENT_PASSWORD)
    browser.open("/agent")
    browser.wait().until(lambda d: browser.find("#my-status").is_enabled())
    assert browser.find("#my-status").get_attribute("data-status") == "available"
    browser.choose("#my-status", "away")
    browser.wait().until(lambda d: browser.find("#my-status").get_attribute("data-status") == "away"
                         and browser.find("#my-status").is_enabled())
    assert in_directory(gus)["status"] == "away"


@pytest.mark.parametrize("lang", ("en", "es", "zh-Hant"))
def test_the_workspace_pages_in_every_language_on_a_phone(browser, product, lang):
    """The search results and the macros page (the console and the ticket page are in
    test_languages): translated, every field labelled, nothing wider than a phone."""
    from tests.web.browser import PHONE_WIDTH
    from tests.web.test_languages import check_page

    editor = named_agent(product, "Hal Phone", editor=True)
    customer = data.customer(product)
    number = data.ticket(customer, subject="Phone-sized search", txid="0xphone" + uuid.uuid4().hex)["number"]
    assert editor.post("/api/v1/agent/macros", json={"title": "Phone check", "kind": "reply", "resolve": False,
                                                     "bodies": {"en": "Hello {{customer_name}}"}}).status_code == 201
    browser.driver.set_window_size(PHONE_WIDTH, 812)
    browser.driver.add_cookie({"name": "lang", "value": lang, "path": "/"})
    browser.log_in_as(editor.email, AGENT_PASSWORD)
    check_page(browser, "/agent/search?q=" + number, [f"#result-{number}"], lang)
    check_page(browser, "/agent/macros", ["#macro-rows tr"], lang)
    check_page(browser, f"/agent/tickets/{number}", ["#history li", "#context-facts dd", "#macro-select:enabled"], lang)


def test_an_agent_chooses_which_notices_come_by_email(browser, product):
    from services.gateway.web import pages
    from services.notifications.models import AGENT_KINDS

    assert tuple(pages.AGENT_NOTICE_KINDS) == tuple(AGENT_KINDS)  # the page offers what the service takes
    ivy = named_agent(product, "Ivy Settings")
    browser.log_in_as(ivy.email, AGENT_PASSWORD)
    browser.open("/settings/notifications")
    box = browser.visible("#email-assigned_tickets")
    browser.wait().until(lambda d: box.is_enabled())
    assert not box.is_selected() and browser.find("#push-assigned_tickets").is_selected()
    assert not browser.exists("#email-rewards")  # a customer's kinds are not an agent's
    box.click()
    browser.click("#prefs-save")
    browser.visible("#prefs-saved")
    saved = ivy.get("/api/v1/notification-preferences").json()
    assert saved["email"]["assigned_tickets"] is True and saved["push"]["assigned_tickets"] is True
