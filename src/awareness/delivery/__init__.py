"""Warnings delivered where responders are: subscriptions, their channels (signed webhooks,
PagerDuty, Slack, mail) and the one process per database that delivers in order, with retries."""
