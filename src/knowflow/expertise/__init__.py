"""Who knows what, from evidence people can see and correct (issue 14, point 4)."""
