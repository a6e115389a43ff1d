"""Operating the service: HTTP health endpoints, sd_notify (READY/STATUS/WATCHDOG), logging."""
