"""Holding evidence: keys, vault, database, custody, intake, phone numbers, rules."""
