"""What every part may import, the Rasa environment too: text, seed-file reader, the catalog's types, topics, the clock."""
