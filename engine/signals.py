"""Ctrl-C is for the writer alone. The terminal sends it to every process of the foreground
group; the processes the writer starts (loky's workers, the placers) would each stop where they
stand, and print a traceback of their own when it lands while they are still importing. They
are started with SIGINT blocked instead (a blocked signal stays blocked across fork and exec,
before the new interpreter runs a line): the writer stops them itself once it is interrupted."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator


@contextlib.contextmanager
def deaf_to_ctrl_c() -> Iterator[None]:
    """Processes and threads started in this block never see a Ctrl-C. A Ctrl-C meant for
    the writer while it is in the block is only held until the block ends."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
