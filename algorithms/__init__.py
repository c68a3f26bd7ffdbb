"""Processing provider and algorithms: thin wrappers around the core."""
