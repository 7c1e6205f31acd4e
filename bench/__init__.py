"""Load bench for the live-meeting path: ``python -m bench`` (``make bench``). Not part of tests."""
