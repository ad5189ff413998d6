"""HTTP routes for the platforms' callbacks and the local chat simulator."""
