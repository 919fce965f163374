"""The WhatsApp Cloud API wire format: webhooks in, Graph messages out, limits, signatures, errors.

Standard library only: the Rasa channel (under Rasa's pins) and the app environment both use it.
"""
