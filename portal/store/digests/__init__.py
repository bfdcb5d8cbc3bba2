"""Digest tables: subscriptions and their exactly-once runs."""
