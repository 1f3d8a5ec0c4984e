"""Ctrl-C is for the writer alone. The terminal sends it to every process of the foreground
group; the processes the writer starts (loky's workers, the placers) would each stop where they
stand, and print a traceback of their own when it lands while they are still importing. They
are started with SIGINT blocked instead (a blocked signal stays blocked across fork and exec,
before the new interpreter runs a line): the writer stops them itself once it is interrupted."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Callable, Iterator
from types import FrameType


@contextlib.contextmanager
def deaf_to_ctrl_c() -> Iterator[None]:
    """Processes and threads started in this block never see a Ctrl-C. A Ctrl-C meant for
    the writer while it is in the block is only held until the block ends."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


# The stop a signal asked for, kept: Python drops an exception raised where it cannot propagate
# (a weakref callback, a __del__: "Exception ignored in ..."), and a Ctrl-C landing there would
# otherwise leave the run going as if never pressed.
_asked: type[BaseException] | None = None
# Whether the run has stopped and is saying so: a signal asking it to stop again then changes
# nothing (raised there, it would land in whatever runs, a __del__ printing "Exception ignored").
_said = False


def stopping_with(kind: type[BaseException]) -> Callable[[int, FrameType | None], None]:
    """A signal handler that raises ``kind`` and remembers it was asked for, until the run has
    stopped."""

    def handler(signum: int, frame: FrameType | None) -> None:
        global _asked
        if _said:
            return
        _asked = kind
        raise kind

    return handler


def stopped() -> None:
    """The run has stopped: from now on, a signal asking it to stop is let pass."""
    global _said
    _said = True


def has_stopped() -> bool:
    return _said


def forget_stop() -> None:
    """Forget the stop a signal asked for, and that the run stopped."""
    global _asked, _said
    _asked, _said = None, False


def raise_pending_stop() -> None:
    """Raise the stop a signal asked for, if Python dropped it where it landed."""
    if _asked is not None:
        raise _asked
