"""Service levels: business calendars and, later, the timers that run on them."""
