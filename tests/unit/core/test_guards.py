"""Every route guard is a coroutine: Litestar would run a plain function guard in a thread pool on
every request (a hand-off that cost 10% of a worker's CPU in the casting benchmark)."""

from __future__ import annotations

import inspect

from assembly.app import create_app
from assembly.settings import Settings


def test_every_guard_of_every_route_is_a_coroutine_function() -> None:
    app = create_app(Settings.from_env({"ASSEMBLY_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
                                        "ASSEMBLY_SECRET_KEY": "k" * 64}))
    guards = {guard for route in app.routes for handler in getattr(route, "route_handlers", [])
              for guard in handler.resolve_guards()}
    plain = sorted(getattr(g, "__qualname__", repr(g)) for g in guards
                   if not inspect.iscoroutinefunction(getattr(g, "func", g)))
    assert guards, "no guards found: the test would prove nothing"
    assert plain == []
