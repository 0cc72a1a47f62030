"""The agent workspace: the agent directory built from events, round-robin assignment, and macros."""
