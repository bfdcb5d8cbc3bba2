"""Digests: scheduled e-mails telling service owners what changed, what is new, what needs action."""
