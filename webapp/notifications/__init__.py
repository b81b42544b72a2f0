"""Notifications to citizens on status changes: portal inbox and SMS, via connectors."""
