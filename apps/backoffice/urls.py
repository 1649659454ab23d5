from django.urls import path

from apps.backoffice.views import day_sheet, emergency_block, walk_in

app_name = "backoffice"

# Each page adds its paths here (day sheet, walk-in booking, emergency block).
urlpatterns: list = [
    # Day sheet and walk-in booking.
    path("day/", day_sheet.day_sheet, name="day-sheet"),
    path("day/bookings/<str:reference>/", day_sheet.day_sheet_row, name="day-sheet-row"),
    path(
        "day/bookings/<str:reference>/cancel/",
        day_sheet.day_sheet_cancel,
        name="day-sheet-cancel",
    ),
    path(
        "day/bookings/<str:reference>/<str:action>/",
        day_sheet.day_sheet_action,
        name="day-sheet-action",
    ),
    path("book/", walk_in.walk_in, name="walk-in"),
    path("book/patient/", walk_in.walk_in_patient, name="walk-in-patient"),
    path("book/done/<str:reference>/", walk_in.walk_in_done, name="walk-in-done"),
    # Emergency block.
    path("emergency-block/", emergency_block.emergency_block, name="emergency-block"),
]
