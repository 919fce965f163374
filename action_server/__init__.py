"""Nagarik's action server: rasa-sdk's, answering only the Rasa server (see app.py)."""
