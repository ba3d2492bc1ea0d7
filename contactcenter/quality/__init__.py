"""Quality management: scorecards, evaluations, disputes, calibration, sampling, training rules."""
