"""The audit tests drive real ballots through the API: reuse the ballots' fixture."""

from tests.api.ballots.conftest import api

__all__ = ("api",)
