"""The process-wide Powertools Logger, Tracer and Metrics (configured by POWERTOOLS_* env)."""

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger(service="glimpse-api")
# Patching only botocore traces every DynamoDB/S3 call (PynamoDB goes through botocore) and
# skips patch_all's probing of a dozen libraries at import: ~5 ms of cold start.
tracer = Tracer(service="glimpse-api", patch_modules=["botocore"])
metrics = Metrics(namespace="Glimpse", service="glimpse-api")
