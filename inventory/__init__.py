"""The province's source of truth: province -> commune -> site -> device."""
