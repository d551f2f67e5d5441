"""Panels: the control widgets of the studio window."""
