"""Metrics, alarms and the dashboard; the notebook watch."""
