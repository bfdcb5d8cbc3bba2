"""Migrations of the counters app."""
