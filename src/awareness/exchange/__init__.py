"""Exchange in the field's own formats: STIX 2.1 over TAXII 2.1 (read, and write for operators)
and a MISP feed, each showing a reader what `GET /v1/warnings` shows it under TLP, never more."""
