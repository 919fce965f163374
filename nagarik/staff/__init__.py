"""Officials' accounts, roles, sessions, access policy and the audit log: plain services, no web."""
