"""The live feed: events from the log pushed over WebSockets to the people allowed to see them,
resumable by `seq` with no gap and no duplicate. The feed reads the event log only."""
