"""The one exception type a user can meet.

The CLI prints a PulseError as one line without a traceback, so every message
must say what happened and what to do about it.
"""


class PulseError(Exception):
    """A problem the user can fix: bad input, bad config, locked database, unknown week."""
