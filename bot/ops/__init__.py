"""Operator tooling: start, supervise, cluster, benchmark and evaluate Palīgs. Nothing in the runtime imports it."""
