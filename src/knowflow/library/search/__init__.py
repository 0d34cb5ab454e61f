"""Search over everything: sessions, resources, collections, people, circles and topics.

``documents`` builds and writes the index rows, ``engine`` ranks them, and a backend per
database (``sqlite`` FTS5, ``postgres`` tsvector + GIN) matches and scores them.
"""
