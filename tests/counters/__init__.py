"""Tests of the counter channel: sync API, kiosks, the button-box agent, clerk entry."""
