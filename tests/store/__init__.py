"""Tests of the store: the status vocabulary, its moves and their audit rows."""
