"""PURE: text indexing helpers, similarity and expertise ranking (no Django imports)."""
