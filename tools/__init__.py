"""Maintenance scripts for the course (notebook regeneration); not part of embedkit."""
