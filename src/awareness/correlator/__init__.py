"""The correlator: the single writer that follows committed reports in order and turns them into
sector levels, campaigns, exposure warnings and events. Its results depend on the reports only,
never on when it ran."""
