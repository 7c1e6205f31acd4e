"""Persistence: SQLModel tables, the engine, and the meeting event log."""
