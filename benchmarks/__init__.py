"""Side-by-side benchmarks of registry-sql against its peers (``make bench``; see RESULTS.md)."""
