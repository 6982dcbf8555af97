"""Data access: the only code that touches DynamoDB, S3, SQS and SNS."""
