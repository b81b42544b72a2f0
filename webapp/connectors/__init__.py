"""Point the connectors at real outside systems when the settings name them (MOTCUA_BUU_CHINH_*,
MOTCUA_LLTP_*, MOTCUA_KHO_DU_LIEU_*, MOTCUA_DVCQG_*, MOTCUA_KY_SO_*); without settings every connector
answers from its local fake (the signing fake with the keys of the signing folder). The HTTP twins
share MOTCUA_HTTP_CA_BUNDLE, MOTCUA_HTTP_CLIENT_CERT and MOTCUA_HTTP_CLIENT_KEY (the integration
gateway's mutual TLS), checked here so a wrong file stops the app at start, not the first call."""

from __future__ import annotations

import ssl
from urllib.parse import urlsplit

from flask import Flask

from engine.connectors import ConnectorRegistry
from engine.data_store import FakeDataStore, data_store_connectors
from engine.http_connector import ClientTls, Endpoint, HttpConnector, HttpPortalApi
from engine.national_portal import FakeNationalPortal, PortalClient, portal_connectors
from engine.post import FakePostOffice, PostShipment, PostTracking
from engine.signature import NAME as SIGN_DIGEST
from engine.signature import FakeSigningService
from webapp.secret_key import PUBLIC_VALUES
from webapp.settings import OutsideSystem, Settings, SettingsError
from webapp.signing.keys import KeyStore
from webapp.signing.remote import local_service

POST = ("buu_chinh.tao_van_don", "buu_chinh.tra_cuu")
JUDICIAL_RECORDS = ("ly_lich_tu_phap.xac_minh",)
DATA_STORE = ("kho_du_lieu.luu_giay_to", "kho_du_lieu.lay_giay_to", "kho_du_lieu.tai_giay_to")


class ConnectorSettingsError(SettingsError):
    """A connector setting that cannot work; the app refuses to start with it."""


def init_connectors(app: Flask) -> None:
    settings: Settings = app.config["MOTCUA_SETTINGS"]
    configure(app.extensions["motcua_engine"].connectors, settings)


def configure(registry: ConnectorRegistry, settings: Settings) -> list[str]:
    """Replace the fakes of each configured family by HTTP connectors; returns the names replaced."""
    replaced: list[str] = []
    _share_fakes(registry, settings)
    for names, system, variable in ((POST, settings.post, "MOTCUA_BUU_CHINH_URL"),
                                    (JUDICIAL_RECORDS, settings.judicial_records, "MOTCUA_LLTP_URL"),
                                    (DATA_STORE, settings.data_store, "MOTCUA_KHO_DU_LIEU_URL")):
        if system.url is None:
            continue
        endpoint = _endpoint(system, variable, settings.http_tls)
        for name in names:
            fake = registry.get(name)
            if fake is not None:  # the fake carries the declarations the real twin keeps
                registry.register(HttpConnector.like(fake, endpoint))
                replaced.append(name)
    if _configure_signing(registry, settings):
        replaced.append(SIGN_DIGEST)
    portal = settings.national_portal
    if portal.url is not None:
        if not (portal.client_id and portal.secret):
            raise ConnectorSettingsError("MOTCUA_DVCQG_URL needs MOTCUA_DVCQG_CLIENT_ID and MOTCUA_DVCQG_SECRET")
        if portal.secret.strip() in PUBLIC_VALUES:  # the fake's own, in engine/national_portal.py
            raise ConnectorSettingsError("MOTCUA_DVCQG_SECRET is a public development value; set the secret "
                                         "the national portal issued to the province")
        client = PortalClient(HttpPortalApi(_endpoint(portal, "MOTCUA_DVCQG_URL", settings.http_tls)),
                              portal.client_id, portal.secret)
        for connector in portal_connectors(client, settings.national_portal_unit):
            registry.register(connector)
            replaced.append(connector.name)
    return replaced


def _share_fakes(registry: ConnectorRegistry, settings: Settings) -> None:
    """The fakes that keep records keep them in the data folder, so the web app and every worker
    see one store, one carrier and one national portal, through restarts too."""
    if settings.data_store.url is None:
        for connector in data_store_connectors(FakeDataStore(settings.data_store_dir)):
            registry.register(connector)
    if settings.post.url is None:
        office = FakePostOffice(folder=settings.fakes_dir / "buu-chinh")
        registry.register(PostShipment(office))
        registry.register(PostTracking(office))
    if settings.national_portal.url is None:
        portal = FakeNationalPortal(folder=settings.fakes_dir / "cong-dvc-quoc-gia")
        for connector in portal_connectors(PortalClient(portal), settings.national_portal_unit):
            registry.register(connector)


def _configure_signing(registry: ConnectorRegistry, settings: Settings) -> bool:
    """The remote signing service when MOTCUA_KY_SO_URL is set (True), else the local one with the folder's keys."""
    fake = registry.get(SIGN_DIGEST) or FakeSigningService()
    if settings.signing_service.url is None:
        registry.register(local_service(KeyStore.from_settings(settings)))
        return False
    if settings.signing_dir is None:  # the demo CA's certificates would not match the service's keys
        raise ConnectorSettingsError("MOTCUA_KY_SO_URL needs MOTCUA_SIGNING_DIR (the units' certificates and ca.pem)")
    registry.register(HttpConnector.like(fake, _endpoint(settings.signing_service, "MOTCUA_KY_SO_URL",
                                                         settings.http_tls)))
    return True


def _endpoint(system: OutsideSystem, variable: str, tls: ClientTls) -> Endpoint:
    url = system.url or ""
    parts = urlsplit(url)
    local = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if parts.scheme != "https" and not (parts.scheme == "http" and local):
        raise ConnectorSettingsError(f"{variable} must be an https URL (http only for localhost)")
    check_tls(tls)
    return Endpoint(url, system.token, tls)


def check_tls(tls: ClientTls) -> None:
    """Refuse TLS files that cannot be used, naming the setting (never the key's content)."""
    try:
        tls.context()
    except (OSError, ssl.SSLError) as err:
        named = [f"{name}={path}" for name, path in (("MOTCUA_HTTP_CA_BUNDLE", tls.ca_bundle),
                                                     ("MOTCUA_HTTP_CLIENT_CERT", tls.client_cert),
                                                     ("MOTCUA_HTTP_CLIENT_KEY", tls.client_key)) if path]
        raise ConnectorSettingsError(f"cannot use {', '.join(named) or 'the system CA store'} for HTTPS calls to "
                                     f"outside systems: {getattr(err, 'strerror', None) or err}") from None
