"""What officials use: the command line and demo data (the JSON API and the console: nagarik/web)."""
