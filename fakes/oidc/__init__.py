"""A small OpenID Connect provider for development and tests.

It stands in for the national identity gateway (VNeID) the way the connector fakes stand in
for the population registry: production points MOTCUA_OIDC_ISSUER at the real gateway, the
embedded default (`motcua serve`) and the tests at this one. Citizens are picked from a list,
there are no passwords. Never expose it beyond the loopback interface.

    python -m fakes.oidc --port 5001
"""

from fakes.oidc.provider import create_provider_app, demo_people, subject_for
from fakes.oidc.server import RunningProvider, start_in_thread

DEV_CLIENT_ID = "motcua-dev"
DEV_CLIENT_SECRET = "motcua-dev-not-secret"  # public: the app accepts it only with an issuer on this machine

__all__ = ["DEV_CLIENT_ID", "DEV_CLIENT_SECRET", "RunningProvider", "create_provider_app", "demo_people",
           "start_in_thread", "subject_for"]
