from django.dispatch import Signal

#: Sent before slot generation removes slots that left the schedule, with ``slot_ids``.
#: Receivers return the subset that must stay (a booking holds them). Apps to the right
#: of timeslots answer it, so timeslots never imports them.
slots_in_use = Signal()
