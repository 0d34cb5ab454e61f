"""PURE: the anonymity rules' core, over plain data (no Django, no app)."""
