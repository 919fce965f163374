"""Services for citizens: profiles, language, applications, grievances, handoffs, documents, subscriptions."""
