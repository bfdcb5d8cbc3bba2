"""Migrations of the digests app."""
