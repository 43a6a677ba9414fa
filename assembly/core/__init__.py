"""Cross-cutting pieces with no domain knowledge: errors, logging, middleware, security, schemas."""
