"""contenthub-async: asynchronous content generation for ContentHub."""
