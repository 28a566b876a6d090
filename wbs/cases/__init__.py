"""A case as inspectors work on it: its report and thread opened from the cache, the inbox's
rows and filters, its evidence files, answers to the reporter and internal notes, and the
case file for the investigation record.

One read model for both faces of the inspector's tool: ``wbs inbox`` (wbs/commands/) and the
workbench (wbs/workbench/) call these modules and only turn their results into words.
"""
