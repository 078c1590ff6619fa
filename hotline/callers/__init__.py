"""Callers (来电人), found by their normalised phone number."""
