"""The local fakes of the outside systems, for development, the demo and the tests.

Each fake behaves like the real system, failures included, and answers through the same
protocol module the real system's client uses (``engine/connectors/<system>.py``, or
``engine/payments.py`` for the payment gateway):

- ``population``: the national population database (``dan_cu.*``)
- ``messaging``: the SMS gateway (``sms.gui``) and Zalo OA (``zalo.gui``)
- ``post``: public post (``buu_chinh.*``)
- ``national_portal``: the national public service portal (``cong_dvc_quoc_gia.*``)
- ``data_store``: the citizen's data store (``kho_du_lieu.*``)
- ``signing``: the certificate authority's remote signing service (``ky_so.ky_bam``)
- ``judicial_records``: the judicial-record database (``ly_lich_tu_phap.*``)
- ``oidc``: an OpenID Connect provider standing in for the national identity gateway (VNeID)
- ``payment``: a payment gateway speaking the signed-redirect protocol

``registry.fake_registry()`` builds a connector registry of fakes only. Production code never
imports this package directly: the engine reaches it only through
:func:`engine.local_systems.default_registry` (the CLI, studio test runs, path exploration, tests)
and the web app only through ``webapp.local_fakes``, when the settings name no real system.
An import-linter contract in pyproject.toml holds both to that.
"""
