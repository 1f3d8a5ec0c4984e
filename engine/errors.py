"""The errors that stop a command, each with the exit code it ends the process with.

A file's own trouble never stops a run (it ends as ``error`` in the report, exit code 1); these
do. ``engine.cli`` turns each into one line on stderr and its exit code (``EXITS`` there).
"""

from __future__ import annotations

import signal

EXIT_OK = 0
EXIT_FILE_ERRORS = 1  # the run completed, some files ended in error
EXIT_CANNOT_RUN = 2
EXIT_INTERRUPTED = 130  # Ctrl-C
EXIT_TERMINATED = 128 + signal.SIGTERM  # 143


class RunError(Exception):
    """The command cannot start or go on; the message says why."""

    exit_code = EXIT_CANNOT_RUN


class SettingsError(RunError, ValueError):
    """A flag or config value is wrong; found before anything is written."""


class DiskFull(RunError):
    """DEST cannot take the next group of files; what is journaled stands."""


class BackendUnavailable(RunError):
    """The process pool (dask, a scheduler) cannot be started or reached."""


class JournalError(RunError):
    """DEST's journal is empty, damaged, unreadable or from a newer imgorg."""


class NewerJournal(JournalError):
    """DEST's journal was written by a newer imgorg: only that one, or a later, can use it."""


class Terminated(KeyboardInterrupt):
    """SIGTERM: stop as cleanly as after Ctrl-C (every ``except KeyboardInterrupt`` sees it)."""

    exit_code = EXIT_TERMINATED
