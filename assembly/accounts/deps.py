"""Dependency providers of the accounts controllers."""

from __future__ import annotations

from litestar.datastructures import State
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from assembly.accounts.auth import TokenIssuer

__all__ = ("provide_independent_sessions", "provide_token_issuer")


def provide_token_issuer(state: State) -> TokenIssuer:
    """The application's token signing configuration and lifetimes."""
    return TokenIssuer(jwt_auth=state.jwt_auth, settings=state.settings)


def provide_independent_sessions(state: State) -> async_sessionmaker[AsyncSession]:
    """Sessions outside the request's transaction, for the writes that must survive a refusal.

    Only the login throttle and refresh-token reuse revocation use them (see assembly.accounts.services).
    """
    sessionmaker: async_sessionmaker[AsyncSession] = state.database.sessionmaker
    return sessionmaker
