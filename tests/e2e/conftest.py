import pytest

from tests.e2e.harness import start_product
from tests.guest.mailbox import Mailbox

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def product(tmp_path_factory):
    """The product on the embedded default (SQLite, in-process bus), started once per test module."""
    running = start_product(tmp_path_factory.mktemp("product"))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def mailbox():
    """An SMTP server for the module's product to send to (its `product` fixture points SMTP_PORT here):
    the guests' links and codes arrive in it."""
    box = Mailbox().start()
    yield box
    box.stop()


@pytest.fixture(scope="module")
def mailed_product(tmp_path_factory, mailbox):
    """The product started once per module, its email going to `mailbox`."""
    running = start_product(tmp_path_factory.mktemp("mailed-product"), {
        "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(mailbox.port)})
    yield running
    running.stop()
