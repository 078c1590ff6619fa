"""Operations: what admins need to see about the background machinery (failed jobs)."""
