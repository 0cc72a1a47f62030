"""The library every service shares: configuration, database, events, outbox,
consumers, internal tokens, errors, logging and the clock."""
