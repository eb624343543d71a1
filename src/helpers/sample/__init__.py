"""Synthetic sample exports in the layout of every raw source, marked as sample data."""
