"""Ingest: validate reports, then append them durably. Ingest never scores and never waits on
the correlator."""
