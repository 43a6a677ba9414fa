"""Motions and amendments: drafting, versions, the amendment procedure, consolidation and division."""
