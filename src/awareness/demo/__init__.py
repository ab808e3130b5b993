"""The demo: a realistic scenario that makes the board come alive."""
