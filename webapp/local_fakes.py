"""The one place the web app reaches the local fakes (the top-level ``fakes`` package), each only
when the settings name no real system for it:

- the connectors (webapp/connectors): the population database, SMS and Zalo always (no real
  client yet); post, judicial records, the data store and the national portal without their
  MOTCUA_*_URL, keeping their records in the data folder so the web app and every worker see
  one carrier, one store and one portal;
- the OpenID Connect provider (webapp/accounts/oidc.py) when MOTCUA_OIDC_ISSUER is on this machine;
- the payment gateway (webapp/payments/gateway.py) without MOTCUA_PAYMENT_URL, beside the local provider.

Each import of ``fakes`` is inside a function, so a process pointed at real systems never loads one.
An import-linter contract in pyproject.toml keeps every other module of the web app away from them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.connectors import Connector
from engine.connectors.data_store import data_store_connectors
from engine.connectors.national_portal import PortalClient, portal_connectors
from engine.connectors.population import PopulationVerification
from engine.connectors.post import post_connectors

if TYPE_CHECKING:
    from flask import Flask


def population_connectors() -> list[Connector]:
    """``dan_cu.tra_cuu`` and ``dan_cu.xac_thuc`` against the fake database with the demo citizens."""
    from fakes.population import DEMO_PEOPLE, FakePopulationRegistry

    people = FakePopulationRegistry(people=dict(DEMO_PEOPLE))
    return [people, PopulationVerification(people)]


def messaging_connectors() -> list[Connector]:
    """``sms.gui`` and ``zalo.gui`` against their fakes."""
    from fakes.messaging import FakeSmsGateway, FakeZaloOa

    return [FakeSmsGateway(), FakeZaloOa()]


def judicial_records_connectors() -> list[Connector]:
    from fakes.judicial_records import FakeJudicialRecords

    return [FakeJudicialRecords()]


def post_office_connectors(folder: Path) -> list[Connector]:
    from fakes.post import FakePostOffice

    return list(post_connectors(FakePostOffice(folder=folder)))


def data_store_fake_connectors(folder: Path) -> list[Connector]:
    from fakes.data_store import FakeDataStore

    return list(data_store_connectors(FakeDataStore(folder)))


def national_portal_connectors(folder: Path, unit: str) -> list[Connector]:
    from fakes.national_portal import FakeNationalPortal

    return portal_connectors(PortalClient(FakeNationalPortal(folder=folder)), unit)


def oidc_provider_starter() -> Callable[..., Any] | None:
    """``fakes.oidc.start_in_thread``, or None when the fakes are not installed."""
    try:
        from fakes.oidc import start_in_thread
    except ImportError:
        return None
    return start_in_thread


def payment_gateway_app(merchants: Mapping[str, str], app: Flask, max_age: int) -> Flask:
    """The fake payment gateway as a WSGI app, delivering its notifications to ``app`` in process."""
    from fakes.payment import create_gateway_app, deliver_in_process

    return create_gateway_app(dict(merchants), deliver_in_process(app), max_age=max_age)
