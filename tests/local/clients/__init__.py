"""Drivers of clients generated from the synthesized OpenAPI documents (issue 27)."""
