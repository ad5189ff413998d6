"""Domain: the care register's words and rules, free of I/O."""
