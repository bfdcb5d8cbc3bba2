"""The shared store: Piccolo tables, engine set-up and migrations."""
