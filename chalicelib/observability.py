"""The process-wide Powertools Logger, Tracer and Metrics (configured by POWERTOOLS_* env)."""

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger(service="glimpse-api")
tracer = Tracer(service="glimpse-api")
metrics = Metrics(namespace="Glimpse", service="glimpse-api")
