"""assembly: deliberation and voting for a world assembly of local and regional governments."""

__all__ = ("__version__",)

__version__ = "0.1.0"
