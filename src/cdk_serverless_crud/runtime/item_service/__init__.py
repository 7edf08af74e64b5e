"""The item service: one collection's HTTP API over DynamoDB and S3.

Event parsing (http.py), routing (router.py), what each route does (service.py) and what
a request's body and parameters mean (parameters.py), the collection's schema and
indexes (schema.py, indexes.py), who may do what and where a tenant's keys are
(access.py, spaces.py), and the stored records (records.py): read by reads.py, appended
by repository.py through transactions.py's one transaction; config.py reads the
environment the construct sets.
"""
