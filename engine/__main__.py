import signal
import sys

# Until imgorg is ready to stop cleanly (engine.cli.main), Ctrl-C ends it at once, without a
# traceback of the import it landed in: nothing has been written yet.
signal.signal(signal.SIGINT, signal.SIG_DFL)

from engine.cli import main  # noqa: E402

sys.exit(main())
