"""Use cases shared by chat, jobs and the command line (reports built from the store, written as text or .xlsx)."""
