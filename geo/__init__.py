"""Pure geometry for Shouwang (see docs/design.md)."""
