"""The HTTP and WebSocket edge: routes, dependencies, auth, error mapping."""
