"""Search over everything searchable, below every domain: it knows documents, not sessions.

``models.SearchDocument`` is the index's table, a backend per database (``sqlite`` FTS5,
``postgres`` tsvector + GIN) matches and scores it, ``engine`` ranks for every caller, and
``index`` writes it. Domains describe their own documents in ``<app>/search.py`` and register
them with ``registry``; they keep the index current with ``index.index_write`` /
``index.index_remove`` from their services. Nothing here imports a domain app.
"""
