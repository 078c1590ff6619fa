"""Tickets (工单): intake, the lifecycle, and its audit trail."""
