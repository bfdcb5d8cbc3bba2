"""Cross-cutting web concerns: languages, templates, security headers, errors, rate limits."""
