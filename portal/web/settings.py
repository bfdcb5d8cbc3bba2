"""The application's Settings at request time: a dependency for handlers, one accessor for the rest.

create_app keeps the one Settings object in the application's state (`settings_state`) and
provides it as the `settings` dependency (`settings_dependency`), so a handler declares
`settings: NamedDependency[Settings]` and passes it on to the domain functions it calls. Code
that Litestar does not inject into (guards, middleware, helpers given only the connection) calls
`settings_of(connection)`: nothing else reads the settings out of the application's state.
"""

from __future__ import annotations

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.di import Provide

from portal.settings import Settings

_STATE_KEY = "settings"


def settings_state(settings: Settings) -> dict[str, Settings]:
    """The application state entry that holds the settings (for create_app)."""
    return {_STATE_KEY: settings}


def settings_of(connection: ASGIConnection) -> Settings:
    """The running application's settings, for code given only the connection."""
    return connection.app.state[_STATE_KEY]


def _provide_settings(request: Request) -> Settings:
    return settings_of(request)


def settings_dependency() -> dict[str, Provide]:
    """The application's `settings` dependency (for create_app)."""
    return {"settings": Provide(_provide_settings, sync_to_thread=False)}
