"""import_legacy: the old bot's SQLite files into our models, one table step at a time."""
