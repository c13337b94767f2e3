"""The Telegram channel: a thin adapter from Telegram updates to `Engine.ask` and back.

`app` wires it (the one factory, `build_application`, and `run`); the handlers live by concern in
`questions` (users' questions), `buttons`, `inline`, `admin` and `errors`; `context` is the typed
shared state; `transport` decides what may be sent again and skips updates the library cannot read.
"""

from .app import ALLOWED_UPDATES, build_application, run

__all__ = ["ALLOWED_UPDATES", "build_application", "run"]
