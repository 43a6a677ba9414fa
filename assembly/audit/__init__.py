"""The audit trail: every event of consequence, recorded in the transaction that caused it."""
