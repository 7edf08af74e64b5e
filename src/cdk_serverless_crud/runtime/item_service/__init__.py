"""The item service: one collection's HTTP API over DynamoDB and S3.

Event parsing (http.py), routing (router.py), what each route does (service.py), the
collection's schema and indexes (schema.py, indexes.py) and the stored records
(repository.py, records.py); config.py reads the environment the construct sets.
"""
