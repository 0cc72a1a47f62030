import pytest

from tests.e2e.harness import start_product

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def product(tmp_path_factory):
    """The product on the embedded default (SQLite, in-process bus), started once per test module."""
    running = start_product(tmp_path_factory.mktemp("product"))
    yield running
    running.stop()
