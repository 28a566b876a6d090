"""The API's one logger. It writes one allow-listed line per request (method, route, status,
error code) and never the event, a body, a header, an IP address or a user agent: there is
deliberately no log_event here, and POWERTOOLS_LOGGER_LOG_EVENT must never be set."""

from aws_lambda_powertools import Logger

logger = Logger(service="wbs-api", log_uncaught_exceptions=False)
