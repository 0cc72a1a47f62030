"""Rules whose URL builders are compiled on the first build give the URLs werkzeug's own rules give."""
import pytest
from werkzeug.routing import Map, Rule

from shared.routing import LazyBuildRule
from shared.safe_input import Int64Converter

RULES = [
    ("/api/v1/tickets/<int:ticket_id>/messages", {}),
    ("/help/<category>/<slug>", {}),
    ("/agent/tickets", {}),
    ("/static/<path:filename>", {}),
    ("/help/<locale>/", {"locale": "en"}),
]
VALUES = [
    {"ticket_id": 42}, {"ticket_id": 42, "cursor": "a b", "q": ["x", "y"]},
    {"category": "deposits & withdrawals", "slug": "ünïcode"}, {}, {"page": 2},
    {"filename": "js/core.js"}, {"locale": "en"}, {"locale": "es", "next": "/x"},
]


def _maps(rule_class):
    return Map([rule_class(path, endpoint=str(index), defaults=defaults or None)
                for index, (path, defaults) in enumerate(RULES)], converters={"int": Int64Converter})


@pytest.mark.parametrize("append_unknown", [True, False])
def test_lazy_rules_build_the_urls_werkzeug_builds(append_unknown):
    lazy, eager = _maps(LazyBuildRule).bind("example.com"), _maps(Rule).bind("example.com")
    built = 0
    for index in range(len(RULES)):
        for values in VALUES:
            try:
                expected = eager.build(str(index), values, append_unknown=append_unknown)
            except Exception as error:  # noqa: BLE001 - the lazy rule must fail the same way
                with pytest.raises(type(error)):
                    lazy.build(str(index), values, append_unknown=append_unknown)
                continue
            assert lazy.build(str(index), values, append_unknown=append_unknown) == expected
            built += 1
    assert built >= len(RULES)  # the cases above are not all refusals


def test_a_lazy_rule_compiles_its_builder_once():
    rule = LazyBuildRule("/t/<int:ticket_id>", endpoint="t")
    Map([rule], converters={"int": Int64Converter})
    first = rule._build_unknown
    assert rule.build({"ticket_id": 1}) == ("", "/t/1")
    assert rule._build_unknown is not first  # replaced by the compiled builder
    compiled = rule._build_unknown
    assert rule.build({"ticket_id": 2}) == ("", "/t/2")
    assert rule._build_unknown is compiled
