"""Storage: engine, tables and migrations for embedded SQLite and PostgreSQL."""
