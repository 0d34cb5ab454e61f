"""Pure scheduling algorithms: slot finding, follow-the-sun repeats, fair series rotation."""
