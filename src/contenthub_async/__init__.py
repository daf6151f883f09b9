"""contenthub-async: asynchronous content generation for ContentHub."""

__version__ = "0.1.0"
