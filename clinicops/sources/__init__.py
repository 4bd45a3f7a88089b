"""clinicops."""
