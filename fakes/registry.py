"""A connector registry where every outside system is its local fake."""

from __future__ import annotations

from engine.connectors import ConnectorRegistry
from engine.connectors.data_store import data_store_connectors
from engine.connectors.messaging import SmtpMailer
from engine.connectors.national_portal import PortalClient, portal_connectors
from engine.connectors.population import PopulationVerification
from engine.connectors.post import post_connectors
from fakes.data_store import FakeDataStore
from fakes.judicial_records import FakeJudicialRecords
from fakes.messaging import FakeSmsGateway, FakeZaloOa
from fakes.national_portal import FakeNationalPortal
from fakes.population import DEMO_PEOPLE, FakePopulationRegistry
from fakes.post import FakePostOffice
from fakes.signing import FakeSigningService


def fake_registry() -> ConnectorRegistry:
    """Every connector against its local fake, e-mail against the local SMTP sink (127.0.0.1:8025).

    The fakes keep their records in memory (the data store in a temporary folder) and the signing
    fake holds no key: the web app points the ones that keep records at its data folder and hands
    the signing service the units' keys (webapp/connectors), or points them at the real systems."""
    registry = ConnectorRegistry()
    people = FakePopulationRegistry(people=dict(DEMO_PEOPLE))
    registry.register(people)
    registry.register(PopulationVerification(people))
    registry.register(FakeSmsGateway())
    registry.register(FakeZaloOa())
    registry.register(SmtpMailer())  # the local SMTP sink; the web app points it at MOTCUA_SMTP_*
    for connector in [*post_connectors(FakePostOffice()),
                      *portal_connectors(PortalClient(FakeNationalPortal())),
                      FakeJudicialRecords(),
                      *data_store_connectors(FakeDataStore()),
                      FakeSigningService()]:
        registry.register(connector)
    return registry
