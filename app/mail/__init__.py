"""Mail: the outbox, its messages and the SMTP server they go through."""
