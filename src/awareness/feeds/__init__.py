"""Feeds of known-exploited vulnerabilities (CISA KEV) and ICS advisories (CSAF 2.0): read from
files or request bodies, imported into their tables in one transaction. Parsing is
`scoring.advisories`; matching assets against what is stored here is not this package's."""
