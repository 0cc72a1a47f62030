"""The tickets worker on a real RabbitMQ (as deployed) binds its queue to `agent.profile_changed.v1`:
an agent the gateway announces is in the directory and gets the next ticket; a redelivery changes nothing."""
import pytest

from services.tickets.workspace.models import Agent
from tests.e2e.harness import wait_for
from tests.tickets.conftest import new_ticket
from tests.tickets.test_assignment import profile_event
from tests.tickets.test_context_worker_on_rabbitmq import publish  # noqa: F401 - the fixture

pytestmark = [pytest.mark.rabbitmq]


def test_agent_profiles_on_rabbitmq(alice, publish):  # noqa: F811 - the fixture
    announced = profile_event(777, name="Rita", tier="senior", roles=["editor"])
    publish(announced)
    publish(announced)
    row = wait_for(lambda: Agent.get_or_none(Agent.user_id == 777), timeout=20, message="the agent in the directory")
    assert (row.name, row.tier, row.roles, row.status) == ("Rita", "senior", "editor", "available")
    publish(profile_event(777, name="Rita", tier="standard"))
    wait_for(lambda: Agent.get_by_id(777).tier == "standard", timeout=20, message="the changed tier")
    assert Agent.select().count() == 1
    number = new_ticket(alice)["number"]
    assert alice.get(f"/api/v1/tickets/{number}").status_code == 200
    assert Agent.get_by_id(777).last_assigned_at is not None
