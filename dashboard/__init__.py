"""The Dash pages of Shouwang (map wall, dispatch, coverage…)."""
