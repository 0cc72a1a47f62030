"""What support knows of a ticket's requester, gathered from other services' events."""
