"""Guichet: a multichannel citizen-feedback portal for public services."""
