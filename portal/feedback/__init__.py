"""Feedback intake: validation, references, redaction, storage."""
