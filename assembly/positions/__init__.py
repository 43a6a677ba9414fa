"""Positions: what the assembly adopted, published in open formats, feeds and webhooks (docs/positions.md)."""
