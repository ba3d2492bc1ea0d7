"""Live events: what the domain services announce, pushed to sockets (SPEC §6)."""
