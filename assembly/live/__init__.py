"""Live updates: events sent with PostgreSQL NOTIFY on commit, streamed to clients over SSE."""
