"""The checks room (see DESIGN.md)."""
