"""The exporters room (see DESIGN.md)."""
