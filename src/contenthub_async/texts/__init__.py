"""Operator-facing texts shared by every entry point (``contenthub-ctl``, contenthubd's HTTP API
and console): the gettext catalogs (``locale/``), the language of a process or a request, and
the messages that explain domain, service, settings and database failures.

Entry points (``cli/``, ``http/``) import from here, never from each other.
"""
