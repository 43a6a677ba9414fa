"""Fixtures of the fault tests: the ballots API helper, to set up assemblies and read the database."""

from __future__ import annotations

import httpx
import pytest
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.db import Database
from tests.api.ballots.conftest import BallotApi


@pytest.fixture
async def api(client: httpx.AsyncClient, app: Litestar, database: Database, session: AsyncSession) -> BallotApi:
    """Setup through the in-process app; the votes themselves go to real server processes."""
    return BallotApi(client, app, database, session)
