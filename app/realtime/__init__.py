"""Live meetings: wire schemas, the per-process hub of sockets, and the broker between processes."""
