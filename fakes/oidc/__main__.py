"""``python -m fakes.oidc [--host H] [--port P]``: run the development OpenID Connect provider."""

from __future__ import annotations

import argparse
import sys

from fakes.oidc import DEV_CLIENT_ID, DEV_CLIENT_SECRET, start_in_thread


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fakes.oidc", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (keep it loopback)")
    parser.add_argument("--port", type=int, default=5001)
    parser.add_argument("--issuer", help="issuer URL (default: http://HOST:PORT)")
    parser.add_argument("--client-id", default=DEV_CLIENT_ID)
    parser.add_argument("--client-secret", default=DEV_CLIENT_SECRET, help="empty for a public client")
    parser.add_argument("--redirect-uri", action="append", dest="redirect_uris",
                        help="allowed redirect URI (repeatable; default: the app on 127.0.0.1/localhost:5000)")
    args = parser.parse_args(argv)
    redirect_uris = args.redirect_uris or [f"http://{h}:5000/dang-nhap/callback" for h in ("127.0.0.1", "localhost")]
    clients = {args.client_id: {"client_secret": args.client_secret or None, "redirect_uris": redirect_uris,
                                "name": "Dịch vụ công trực tuyến"}}
    running = start_in_thread(args.host, args.port, args.issuer, clients)
    print(f"fakes.oidc: OpenID Connect provider at {running.issuer} (client {args.client_id})", flush=True)
    print(f"         discovery: {running.issuer}/.well-known/openid-configuration", flush=True)
    try:
        while running.thread.is_alive():
            running.thread.join(0.5)
    except KeyboardInterrupt:
        running.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
