"""Signals core sends for other apps to follow, so core never imports them."""

from django.dispatch import Signal

# The business calendar changed (hours, working weekdays, holidays or a closed day): sent inside the saving
# transaction, so a receiver's writes commit or roll back with the change. No arguments but `actor`.
business_calendar_changed = Signal()
