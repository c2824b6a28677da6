"""End-to-end harness: demo, evaluation, and the test/benchmark plumbing they share."""
