"""Assemblies: their rule sets, roles, delegations, credentials, delegates, attendance and proxies."""

from __future__ import annotations

__all__: tuple[str, ...] = ()
