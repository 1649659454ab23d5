from django.urls import path

from apps.payments import views, webhooks

app_name = "payments"

urlpatterns = [
    path("checkout/<str:reference>/", views.checkout, name="checkout"),
    path("checkout/<str:reference>/return/", views.checkout_return, name="checkout-return"),
    path("receipts/<str:number>/", views.receipt_detail, name="receipt-detail"),
    path("webhooks/stripe/", webhooks.stripe_webhook, name="stripe-webhook"),
]
