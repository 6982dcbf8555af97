"""Alert rules: growth windows, viral moments, milestones, daily rules, exactly-once delivery."""
