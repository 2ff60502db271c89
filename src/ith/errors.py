"""Errors a user can act on."""


class InputError(Exception):
    """Bad user input: the message names the file, row or field and the fix."""
