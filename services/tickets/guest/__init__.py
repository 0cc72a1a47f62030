"""Guests: a ticket without an account, opened again from the emailed link with a
one-time code sent to the email that the link is bound to."""
