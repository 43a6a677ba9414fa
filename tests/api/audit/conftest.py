"""The audit tests drive real ballots through the API: reuse the ballots' fixture.

Their apps wait up to a minute for a database connection (pool or server), not five seconds: the
300-vote test queues 300 requests on a pool of 20, and on a loaded shared server a slow checkout must
not turn into a failure (no timing dependence).
"""

import pytest

from assembly.settings import Settings
from tests.api.ballots.conftest import api

__all__ = ("api", "settings")


@pytest.fixture
def settings(database_url: str) -> Settings:
    """The default test settings, with a patient connection timeout."""
    return Settings(database_url=database_url, log_format="console", log_level="warning",
                    db_connect_timeout_seconds=60).with_generated_secret()
