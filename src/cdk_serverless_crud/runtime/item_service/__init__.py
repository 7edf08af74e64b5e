"""The item service: HTTP parsing, routing and a repository over DynamoDB and S3."""
