"""A circle's health, from what its people do in events and the library, and the periodic pass
that moves circles through their lifecycle.

It sits above circles, events and library (circles is a core app and may not read the
sessions held in its name): the circle page and the worker compose it; nothing below imports
it. It has no models: the state it computes is written by ``circles.services``.
"""
