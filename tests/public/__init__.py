"""Tests of the public pages: results, commitments, open data, and the Open311 endpoint."""
