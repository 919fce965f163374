"""Rasa input and output channels (imported by the Rasa server, under Rasa's pins)."""
