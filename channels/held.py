"""A conversation an officer holds (a live handoff, whatsapp.cloud.store.holds), in Rasa's terms.

While held, a citizen's message is logged and parsed as Rasa's processor would (so the review of
the conversation shows it with its intent) behind Rasa's ConversationPaused, and no action is
predicted: the assistant says nothing. It bypasses the processor's session start, which would
greet the citizen and unpause the tracker after an hour's silence. Released, the tracker gets
ConversationResumed and the next message is the assistant's again. Both take the conversation's
lock, as Rasa's agent does for a turn.
"""

from __future__ import annotations

from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.shared.core.events import ConversationPaused, ConversationResumed, UserUttered


async def log_for_officer(agent: Any, message: UserMessage) -> None:
    async with agent.lock_store.lock(message.sender_id):
        processor = agent.processor
        tracker = await processor.get_tracker(message.sender_id)
        if not tracker.is_paused():
            tracker.update(ConversationPaused())
        parsed = await processor.parse_message(message, tracker)
        tracker.update(
            UserUttered(
                message.text,
                parsed["intent"],
                parsed["entities"],
                parsed,
                input_channel=message.input_channel,
                message_id=message.message_id,
                metadata=message.metadata,
            ),
            agent.domain,
        )
        await processor.save_tracker(tracker)


async def resume(agent: Any, sender: str) -> None:
    async with agent.lock_store.lock(sender):
        tracker = await agent.processor.get_tracker(sender)
        if tracker.is_paused():
            tracker.update(ConversationResumed())
            await agent.processor.save_tracker(tracker)
