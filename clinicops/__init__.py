"""clinicops: the nightly operations-data pipeline of a psychiatry and ketamine-infusion practice."""

__version__ = "0.1.0"
