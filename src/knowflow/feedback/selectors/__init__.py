"""Reads of feedback, one module per concept; everything they return has passed the anonymity
rules (`anonymity`)."""
