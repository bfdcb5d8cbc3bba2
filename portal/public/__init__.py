"""Transparency pages: what staff chose to publish, always redacted."""
