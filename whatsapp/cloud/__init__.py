"""Talking to the WhatsApp Cloud API: the Graph client, the keep-alive transport of the broadcast
workers, the channel's store (inbox, outbox, windows), media fetch, and the settings they share.

On top of the wire format (whatsapp/); used by the Rasa channel (channels/) and the outbound
engine (nagarik/). graph, media, settings and store also run under Rasa's pins.
"""
