"""Core tables: services, offices, staff accounts, feedback, its labels and the audit log."""
