"""The API's routers, one module per area; ``http.app`` mounts them all."""
