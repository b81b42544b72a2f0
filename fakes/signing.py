"""Local stand-in for the certificate authority's remote signing service (``ky_so.ky_bam``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.connectors import ConnectorError
from engine.connectors.signature import LocalSigningService, answer, digest_of
from fakes.controls import FakeControls


@dataclass
class FakeSigningService(LocalSigningService):
    """The CA's remote signing service, in this process. ``keys``: unit code -> key, or a loader.

    ``calls`` keeps every request exactly as received, so tests can check that only a digest
    was sent; ``revoked`` lists units whose certificate the CA revoked; ``controls`` make the
    next calls fail or hang."""

    controls: FakeControls = field(default_factory=FakeControls)
    revoked: set[str] = field(default_factory=set)
    calls: list[dict[str, Any]] = field(default_factory=list)

    def call(self, params: Mapping[str, Any]) -> Any:
        self.calls.append(dict(params))
        self.controls.before_call()
        digest, algorithm = digest_of(params)
        code = str(params["ma_don_vi"])
        held = self.key_for(code)
        if code in self.revoked:
            raise ConnectorError(f"the certificate of unit {code[:40]} is revoked", retryable=False,
                                 reason="revoked")
        return answer(held, digest, algorithm)
