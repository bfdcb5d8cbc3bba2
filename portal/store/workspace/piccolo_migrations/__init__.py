"""Migrations of the workspace app."""
