"""Tests of the public pages and the Open311 endpoint."""
