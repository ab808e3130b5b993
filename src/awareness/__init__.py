"""awareness: see a sector-wide attack coming and warn the right people in seconds."""

__version__ = "0.1.0"
