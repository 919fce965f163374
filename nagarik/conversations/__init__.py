"""Conversations as officials review them: Rasa's event broker read into the console's tables
(consumer, sources, events) and the review's queries and actions (review)."""
