"""Fixtures the infrastructure tests share."""

from tests.infra.test_template import deployment

__all__ = ["deployment"]  # the API on moto, recording its calls (test_desks.py uses it too)
