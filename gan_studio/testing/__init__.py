"""Stand-ins for tests and benchmarks (no torch): the synthetic trainer satisfies the worker's TrainerProtocol."""
