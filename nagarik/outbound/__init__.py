"""The outbound engine: broadcasts, their messages, the sender, pacing, the queue, delivery
statuses, notifications and templates; and the kinds of broadcast: polls, reminders, campaigns."""
