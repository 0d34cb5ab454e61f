"""Changes to feedback, one module per concept: templates, requests (and their distribution),
responses, tallies, retrospectives."""
