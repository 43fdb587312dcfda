"""Sending: transports (SMTP, file outbox) and the campaign engine."""
