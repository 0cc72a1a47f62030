"""The help center: articles in three languages, their full-text search, the shipped
set seeded on start, votes, and the editors' endpoints."""
