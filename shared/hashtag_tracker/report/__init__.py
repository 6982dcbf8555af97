"""Weekly report: deltas, anomalies, rankings, share of voice, rendering."""
