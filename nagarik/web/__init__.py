"""The officials' web server: one FastAPI app with the JSON API (/api, /verify) and the console (/console)."""
