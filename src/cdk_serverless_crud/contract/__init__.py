"""The service's contract in pure Python: never imports ``aws_cdk``.

What a collection is and how its schema is checked and compiled, the OpenAPI documents
(``openapi.json``, the generic contract, and each service's own), the change events'
schema (``events.schema.json``) and the stage's method settings. The constructs, the
Lambda runtime's tests and local mode all read them here; local mode and the runtime
can, because nothing here starts Node.js. ``tests/test_boundaries.py`` holds that line.
"""
