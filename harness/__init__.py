"""Running the assistant locally for end-to-end tests and benchmarks."""
