# Dates and times in one 24-hour style across the staff site and Django admin (Django's en-GB uses
# a 12-hour clock in admin: "1 Dec 2026, 7:35 p.m.").
DATETIME_FORMAT = "j M Y H:i"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
TIME_FORMAT = "H:i"
