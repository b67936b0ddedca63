"""giaoban's database: the schema (migrations), the one writer (store), Datasette metadata."""
