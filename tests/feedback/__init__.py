"""Tests of intake: validation, redaction, references, language, citizen pages and the JSON API."""
