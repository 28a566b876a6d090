"""The API's one logger. It writes one allow-listed line per request (method, route, status,
error code) and never the event, a body, a header, an IP address or a user agent: there is
deliberately no log_event here, and POWERTOOLS_LOGGER_LOG_EVENT must never be set."""

import logging

from aws_lambda_powertools import Logger

logger = Logger(service="wbs-api", log_uncaught_exceptions=False)
# POWERTOOLS_DEBUG=true would let the event handler's own debug lines out, and they name a
# request's path ("No match found for path /api/..."): they stay off whatever it says.
logging.getLogger("aws_lambda_powertools.event_handler").setLevel(logging.INFO)
