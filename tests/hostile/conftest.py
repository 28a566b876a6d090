"""Hypothesis settings for the property tests of this folder, as a profile of their own: the
suite's global settings stay as they are. No example database is written (the repository
does not ignore a .hypothesis folder), and no deadline (several properties run crypto)."""

from hypothesis import HealthCheck, settings

settings.register_profile(
    "wbs-hostile",
    max_examples=100,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
