"""What officials use: the command line, the JSON API, demo data."""
