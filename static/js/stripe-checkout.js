/* Checkout with Stripe: mount the Payment Element, confirm the payment in the browser (with
   3-D Secure when the bank asks), then go to the page's return URL, where the server asks
   Stripe how the payment stands. The server never trusts the browser's word for it. */
(function () {
  "use strict";

  const form = document.querySelector("[data-stripe-checkout]");
  if (!form) return;
  const button = form.querySelector("button[type=submit]");
  const problem = form.querySelector("[data-stripe-error]");

  function show(message) {
    problem.textContent = message;
    problem.hidden = false;
  }

  if (typeof window.Stripe !== "function") {
    show(form.dataset.unavailable);
    return;
  }
  const stripe = window.Stripe(form.dataset.publishableKey);
  const elements = stripe.elements({ clientSecret: form.dataset.clientSecret });
  const paymentElement = elements.create("payment");
  paymentElement.on("ready", function () { button.disabled = false; });
  paymentElement.on("loaderror", function () { show(form.dataset.unavailable); });
  paymentElement.mount("#stripe-payment-element");

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    button.disabled = true;
    problem.hidden = true;
    const returnUrl = form.dataset.returnUrl;
    // Cards finish here; methods that need a bank's page redirect and come back to returnUrl.
    const result = await stripe.confirmPayment({
      elements: elements,
      confirmParams: { return_url: returnUrl },
      redirect: "if_required",
    });
    if (result.error && result.error.type === "validation_error") {
      // Incomplete or mistyped details, caught before anything reached the bank: fix, retry.
      show(result.error.message || form.dataset.failed);
      button.disabled = false;
      return;
    }
    // Paid, authorised or declined: the server asks Stripe and records the outcome (a
    // decline ends the hold there, so the patient never pays twice on one intent).
    window.location.assign(returnUrl);
  });
})();
