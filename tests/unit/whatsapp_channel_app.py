"""The WhatsApp channel inside Rasa's own Sanic app, built as `rasa run --enable-api` builds it
(rasa.core.run.configure_app), on 127.0.0.1:<port>, for tests/unit/test_whatsapp_channel.py.

Run under the Rasa environment: `.venv-rasa/bin/python -m tests.unit.whatsapp_channel_app PORT`,
with the WHATSAPP_* settings in the environment. No model is loaded: a stand-in agent takes the
turns, since these tests are about the HTTP routes, not the conversation.
"""

from __future__ import annotations

import sys
from typing import Any

from rasa.core.run import configure_app

from channels.whatsapp import WhatsAppInput
from whatsapp.cloud.settings import WhatsAppSettings


class StandInAgent:
    """Takes every turn and says nothing (Rasa's API routes that need a model answer an error)."""

    async def handle_message(self, message: Any) -> None:
        return None


def main(port: int) -> None:
    app = configure_app([WhatsAppInput(WhatsAppSettings.load())], enable_api=True, port=port)
    app.ctx.agent = StandInAgent()
    app.run(host="127.0.0.1", port=port, access_log=False, workers=1)


if __name__ == "__main__":
    main(int(sys.argv[1]))
