"""The audit trail of changes that are not ticket transitions (users, units, logins...)."""
