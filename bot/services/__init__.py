"""Use cases shared by chat, jobs and the command line (reports, workload), written as text or .xlsx."""
