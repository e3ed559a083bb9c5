"""Storage: schema, versioned migrations, SQLite and PostgreSQL access."""
