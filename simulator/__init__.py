"""A local, in-memory simulator of Meta's WhatsApp Cloud API (Graph API) for one business number.

It is an independent model of Meta: nothing here imports the project's own WhatsApp code, so a bug
in the connector's payload builders or signature checks shows up as a simulator error.
Run it with `python -m simulator`; chat as a citizen with `python -m simulator.chat`.
"""
