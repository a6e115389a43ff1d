"""Pictures of a composition for people to look at."""
