"""The agents' search over tickets (identifiers, tags, full text) and tickets' tags."""
