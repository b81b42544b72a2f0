"""Point the connectors at real outside systems when the settings name them (MOTCUA_BUU_CHINH_*,
MOTCUA_LLTP_*, MOTCUA_KHO_DU_LIEU_*, MOTCUA_DVCQG_*, MOTCUA_KY_SO_*); without settings a connector
answers from its local fake (through webapp/local_fakes.py, the web app's only way to them), and
signing uses the local signing service with the keys of the signing folder. The real clients are
in the protocol modules engine/connectors/<system>.py. The HTTP twins share MOTCUA_HTTP_CA_BUNDLE,
MOTCUA_HTTP_CLIENT_CERT and MOTCUA_HTTP_CLIENT_KEY (the integration gateway's mutual TLS), checked
here so a wrong file stops the app at start, not the first call."""

from __future__ import annotations

import ssl
from urllib.parse import urlsplit

from flask import Flask

from engine.connectors import Connector, ConnectorRegistry, data_store, judicial_records, post, signature
from engine.connectors.http import ClientTls, Endpoint
from engine.connectors.national_portal import HttpPortalApi, PortalClient, portal_connectors
from engine.connectors.signature import NAME as SIGN_DIGEST
from webapp import local_fakes
from webapp.secret_key import PUBLIC_VALUES
from webapp.settings import OutsideSystem, Settings, SettingsError
from webapp.signing.keys import KeyStore
from webapp.signing.remote import local_service


class ConnectorSettingsError(SettingsError):
    """A connector setting that cannot work; the app refuses to start with it."""


def init_connectors(app: Flask) -> None:
    settings: Settings = app.config["MOTCUA_SETTINGS"]
    configure(app.extensions["motcua_engine"].connectors, settings)


def configure(registry: ConnectorRegistry, settings: Settings) -> list[str]:
    """Register every outside system's connectors (e-mail aside: webapp/notifications): the real
    system's client for each family the settings name, else its local fake. Returns the names
    pointed at real systems."""
    replaced: list[str] = []
    _register(registry, _fakes(settings))
    for system, variable, real in ((settings.post, "MOTCUA_BUU_CHINH_URL", post.http_connectors),
                                   (settings.judicial_records, "MOTCUA_LLTP_URL", judicial_records.http_connectors),
                                   (settings.data_store, "MOTCUA_KHO_DU_LIEU_URL", data_store.http_connectors)):
        if system.url is None:
            continue
        for connector in real(_endpoint(system, variable, settings.http_tls)):
            registry.register(connector)
            replaced.append(connector.name)
    if _configure_signing(registry, settings):
        replaced.append(SIGN_DIGEST)
    portal = settings.national_portal
    if portal.url is not None:
        if not (portal.client_id and portal.secret):
            raise ConnectorSettingsError("MOTCUA_DVCQG_URL needs MOTCUA_DVCQG_CLIENT_ID and MOTCUA_DVCQG_SECRET")
        if portal.secret.strip() in PUBLIC_VALUES:  # the fake's own, in fakes/national_portal.py
            raise ConnectorSettingsError("MOTCUA_DVCQG_SECRET is a public development value; set the secret "
                                         "the national portal issued to the province")
        client = PortalClient(HttpPortalApi(_endpoint(portal, "MOTCUA_DVCQG_URL", settings.http_tls)),
                              portal.client_id, portal.secret)
        for connector in portal_connectors(client, settings.national_portal_unit):
            registry.register(connector)
            replaced.append(connector.name)
    return replaced


def _register(registry: ConnectorRegistry, connectors: list[Connector]) -> None:
    for connector in connectors:
        registry.register(connector)


def _fakes(settings: Settings) -> list[Connector]:
    """The local fakes of the systems the settings name no URL for. Those that keep records keep
    them in the data folder, so the web app and every worker see one store, one carrier and one
    national portal, through restarts too."""
    fakes = [*local_fakes.population_connectors(), *local_fakes.messaging_connectors()]
    if settings.judicial_records.url is None:
        fakes += local_fakes.judicial_records_connectors()
    if settings.data_store.url is None:
        fakes += local_fakes.data_store_fake_connectors(settings.data_store_dir)
    if settings.post.url is None:
        fakes += local_fakes.post_office_connectors(settings.fakes_dir / "buu-chinh")
    if settings.national_portal.url is None:
        fakes += local_fakes.national_portal_connectors(settings.fakes_dir / "cong-dvc-quoc-gia",
                                                        settings.national_portal_unit)
    return fakes


def _configure_signing(registry: ConnectorRegistry, settings: Settings) -> bool:
    """The remote signing service when MOTCUA_KY_SO_URL is set (True), else the local one with the folder's keys."""
    if settings.signing_service.url is None:
        registry.register(local_service(KeyStore.from_settings(settings)))
        return False
    if settings.signing_dir is None:  # the demo CA's certificates would not match the service's keys
        raise ConnectorSettingsError("MOTCUA_KY_SO_URL needs MOTCUA_SIGNING_DIR (the units' certificates and ca.pem)")
    registry.register(signature.http_connector(_endpoint(settings.signing_service, "MOTCUA_KY_SO_URL",
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
