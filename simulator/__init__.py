"""Simulator of the data-sharing platforms: it plays the outside world, not a connector."""
