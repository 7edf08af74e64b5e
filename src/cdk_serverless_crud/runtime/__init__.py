"""Lambda code behind ServerlessCrudService (standard library + boto3 only).

This folder is the Lambda asset; nothing here imports aws_cdk.
"""
