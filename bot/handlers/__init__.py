"""Handlers: one async handler per command, each module with its commands; the table is in `handlers.table`."""
