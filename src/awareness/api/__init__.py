"""HTTP surface: thin routers over the ingest, query and admin functions, and the app factory."""
