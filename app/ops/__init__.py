"""Running Codev as a service: health, metrics, backups."""
