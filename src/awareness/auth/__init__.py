"""Authentication and authorization: API keys, roles and scopes. 401 and 403 are decided here."""
