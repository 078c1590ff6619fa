"""Cross-cutting pieces every domain uses: clock, database types, hooks, jobs, errors."""
