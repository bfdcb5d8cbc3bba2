"""Tests of the staff workspace: accounts, triage, dashboards, similar reports, audit."""
