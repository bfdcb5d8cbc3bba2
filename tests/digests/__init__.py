"""Tests of digests: periods, content, delivery exactly once, e-mails, scheduler."""
