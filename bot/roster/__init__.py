"""The school roster workbook: template, reading (.xlsx or per-sheet .csv), validation, import, export."""
