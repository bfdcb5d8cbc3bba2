"""Guichet's test suite: the same tests on SQLite and on PostgreSQL."""
