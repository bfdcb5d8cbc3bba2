"""Staff workspace: accounts, sessions, triage, corrections, answers, publication, audit."""
