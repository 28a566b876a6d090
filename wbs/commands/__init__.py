"""The ``wbs`` subcommands, one module per role."""
