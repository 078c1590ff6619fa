"""The JSON API under /api/v1: authentication, request parsing, errors, OpenAPI."""
