"""Rule loading and validation."""
