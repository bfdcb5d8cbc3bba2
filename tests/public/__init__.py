"""Tests of the public results, commitments and open data."""
