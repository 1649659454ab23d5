app_name = "backoffice"

# Each page adds its paths here (day sheet, walk-in booking, emergency block).
urlpatterns: list = []
