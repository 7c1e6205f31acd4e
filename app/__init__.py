"""Codev: real-time facilitation server for professional co-development groups."""
