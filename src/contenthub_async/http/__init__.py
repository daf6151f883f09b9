"""contenthubd's HTTP entry point."""
