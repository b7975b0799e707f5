"""Tests of the exporters room."""
