"""The deploys room (see DESIGN.md)."""
