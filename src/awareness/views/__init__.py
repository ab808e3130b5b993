"""Read models: one per noun (incident, asset, sector, warning, campaign, feed frame), with one
way to serialize time, shared by the API, the feed and the exports. Each module also holds the
scoped queries that return its noun, so a reader never sees more than its role allows."""
