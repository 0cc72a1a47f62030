"""The live chat: a helper that answers from the help center, then a handover that
makes the conversation a ticket of channel `chat`."""
