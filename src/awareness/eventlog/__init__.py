"""The event log: every level change, warning and acknowledgement, in `seq` order, with who may
see it. The only thing the feed and every later consumer read."""
