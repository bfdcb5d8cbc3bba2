"""Citizen pages driven in a real browser, and their accessibility."""
