"""Reporting clocks: the regimes assigned to organizations, the stages operators file, and the
reminders sent as stages fall due (`config/regimes.toml`, `scoring.clocks`)."""
