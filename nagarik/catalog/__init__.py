"""The catalog in the database (store) and office hours."""
