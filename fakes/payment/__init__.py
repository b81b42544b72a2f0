"""A fake payment gateway for development and tests (cổng thanh toán giả lập).

It stands in for the real gateway the way fakes.oidc stands in for VNeID: production points
MOTCUA_PAYMENT_URL at the real gateway, the embedded default and the tests at this one,
mounted inside the product at /cong-thanh-toan-gia-lap/. One page lets the citizen pay,
have the payment declined or cancel; the answer is signed with the merchant's shared secret,
posted to the merchant's notify URL and handed back to the browser, exactly as the
protocol in engine/payments.py says. Nothing is charged and nothing is stored.
"""

from fakes.payment.gateway import GatewayState, Notification, create_gateway_app, deliver_in_process

__all__ = ["GatewayState", "Notification", "create_gateway_app", "deliver_in_process"]
