"""Following a log: leadership per name, a runner that wakes on signals and polls as a safety
net, and durable event-log consumers with a cursor each."""
