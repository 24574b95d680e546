"""The console as ``linkage --db PATH`` starts it, exiting right after the board's first frame.

Run by ``bench.tui`` as ``python -m bench.tui_probe PATH [zh|en]`` in a pseudo-terminal. It does
what ``console.cli`` does for a plain ``linkage`` (open the services on the database, build
``LinkageApp``, run it with the production tick), through a subclass that only adds the
first-frame hook of ``bench.first_frame``: the frame that counts is the first one written
while the board screen is on top, i.e. with the open orders and the waiting incidents loaded.
``LINKAGE_NOW`` fixes the clock as usual.
"""

from __future__ import annotations

import sys
from typing import Any

from bench.first_frame import ExitOnFirstFrame
from console.seat.services import open_services
from screens.app import LinkageApp
from screens.board import BoardScreen


class FirstFrameConsole(ExitOnFirstFrame, LinkageApp):
    def is_first(self, screen: Any) -> bool:
        return isinstance(screen, BoardScreen)


def main(argv: list[str]) -> int:
    services = open_services(argv[0])
    try:
        lang = argv[1] if len(argv) > 1 else services.config.center.language
        app = FirstFrameConsole(services, lang)
        app.run()
        return app.return_code or 0
    finally:
        services.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
