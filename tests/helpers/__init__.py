"""Helpers that more than one test directory uses (plain functions and classes, no fixtures:
fixtures live in the conftest.py of the directory whose tests use them)."""
