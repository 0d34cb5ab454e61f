"""Knowflow: run knowledge sharing inside an organisation."""

__version__ = "0.1.0"
