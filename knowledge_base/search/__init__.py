"""Full-text search over the knowledge base: analysis, the Whoosh schema, the index on
disk (one writer, atomic rebuilds, a kept-open searcher per thread) and query building."""
