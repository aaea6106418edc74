"""Notifications over HTTP: delivery state and resending (staff), the log sink, webhook endpoints, unsubscribing."""
