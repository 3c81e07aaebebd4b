"""E-mail as a platform beside web, Slack and Teams (being built: the SMTP transport first)."""
