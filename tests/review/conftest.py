"""Staff workspace fixtures: the real SMTP server the digests tests use."""

from tests.digests.conftest import smtp_server  # noqa: F401  (a fixture, re-exported)
