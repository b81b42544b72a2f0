"""``motcua``: the product's one command line.

    motcua validate PATH | play PATH --data F...   (engine only, see engine/cli.py)
    motcua serve [--host H] [--port P]             migrate, load the library, seed demo data, serve
    motcua db upgrade                              apply migrations
    motcua procedures load [PATH] | publish SLUG N | list
    motcua units list | add CODE NAME KIND [--parent CODE]
    motcua accounts list | add USERNAME NAME KIND [--identity N] | grant USERNAME UNIT ROLE | password USERNAME
    motcua create-token --user U [--days N]        print a bearer token for scripts and tests
    motcua demo seed                               demo units, accounts and tokens (idempotent)
    motcua jobs health [--timeout S] | failed      background jobs: workers, backlog, probe; failed jobs
    motcua pdf-templates check [DIR]               render desk forms 01-07 from DIR (default MOTCUA_PDF_TEMPLATES)
    motcua signing init                            demo CA and unit certificates (or check real keys); fingerprints
    motcua verify-pdf FILE [--trust PEM]           check a signed PDF (exit 0 valid, 1 invalid, 2 unreadable)

Settings come from MOTCUA_* environment variables (webapp/settings.py). The command line is the
embedded demo: without MOTCUA_SECRET_KEY, `serve` makes a random key once and keeps it in
MOTCUA_DATA_DIR/secret_key (0600) for the next start and for the worker and beat it starts;
the other commands use that key when it is there, else a throwaway one (they serve no sessions).
"""

from __future__ import annotations

import argparse
import getpass
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask

from engine import cli as engine_cli
from engine.problems import PackageInvalid
from webapp import create_app
from webapp.accounts import service as accounts
from webapp.accounts import sessions
from webapp.accounts.models import Account, RoleAssignment, Unit
from webapp.accounts.passwords import WeakPassword, hash_password
from webapp.extensions import db
from webapp.procedures import service as procedures
from webapp.procedures.models import Procedure, ProcedureVersion
from webapp.secret_key import stored_key
from webapp.settings import Settings, SettingsError, data_dir_from
from webapp.signing import cli as signing_cli


def _out(text: str = "") -> None:
    print(text, flush=True)


def upgrade_database(app: Flask) -> None:
    from flask_migrate import upgrade

    with app.app_context():
        upgrade(directory=str(app.config["MOTCUA_SETTINGS"].migrations_dir))


def cmd_db(app: Flask, args: argparse.Namespace) -> int:
    upgrade_database(app)
    _out("database is up to date")
    return 0


def cmd_procedures(app: Flask, args: argparse.Namespace) -> int:
    with app.app_context():
        if args.action == "load":
            folder = Path(args.path or app.config["MOTCUA_LIBRARY"])
            try:
                results = procedures.load_library(folder, actor_id=None, publish_new=not args.no_publish)
            except PackageInvalid as err:
                db.session.rollback()
                for problem in err.problems:
                    _out(f"  - {problem.format()}")
                return 1
            db.session.commit()
            for slug, number, created in results:
                _out(f"{slug}: version {number} {'stored' if created else 'already stored'}")
        elif args.action == "publish":
            try:
                procedures.publish(args.slug, args.number, actor_id=None)
            except procedures.ProcedureError as err:
                _out(f"error: {err}")
                return 1
            db.session.commit()
            _out(f"{args.slug}: version {args.number} published")
        else:
            rows = db.session.execute(
                sa.select(Procedure.slug, ProcedureVersion.number, ProcedureVersion.published,
                          Procedure.published_version_id == ProcedureVersion.id, ProcedureVersion.content_hash)
                .join(ProcedureVersion, ProcedureVersion.procedure_id == Procedure.id)
                .order_by(Procedure.slug, ProcedureVersion.number)).all()
            for slug, number, published, current, digest in rows:
                mark = "current" if current else ("published" if published else "draft")
                _out(f"{slug:<30} v{number:<4} {mark:<10} {digest[:12]}")
    return 0


def cmd_units(app: Flask, args: argparse.Namespace) -> int:
    with app.app_context():
        if args.action == "add":
            parent = accounts.find_unit(args.parent) if args.parent else None
            try:
                accounts.create_unit(args.code, args.name, args.kind, parent)
            except accounts.AccountError as err:
                _out(f"error: {err}")
                return 1
            db.session.commit()
        for unit in db.session.scalars(sa.select(Unit).order_by(Unit.code)):
            _out(f"{unit.code:<16} {unit.kind:<20} {unit.name}")
    return 0


def cmd_accounts(app: Flask, args: argparse.Namespace) -> int:
    with app.app_context():
        try:
            if args.action == "add":
                accounts.create_account(args.username, args.name, args.kind, args.identity)
            elif args.action == "password":
                account = accounts.find_account(args.username or "")
                if account is None or account.kind != "officer":
                    _out("error: no officer account with that username")
                    return 1
                account.password_hash = hash_password(_read_password())
                sessions.end_everywhere(account)  # a new password ends the sessions opened with the old one
            elif args.action == "grant":
                account, unit = accounts.find_account(args.username), accounts.find_unit(args.unit)
                if account is None or unit is None:
                    _out("error: unknown account or unit")
                    return 1
                accounts.grant(account, unit, args.role)
        except (accounts.AccountError, WeakPassword) as err:
            _out(f"error: {err}")
            return 1
        db.session.commit()
        for account in db.session.scalars(sa.select(Account).order_by(Account.username)):
            roles = db.session.execute(sa.select(Unit.code, RoleAssignment.role)
                                       .join(Unit, Unit.id == RoleAssignment.unit_id)
                                       .where(RoleAssignment.account_id == account.id)).all()
            granted = ", ".join(f"{role}@{code}" for code, role in roles) or "-"
            _out(f"{account.username:<16} {account.kind:<8} {granted}")
    return 0


def _read_password() -> str:
    """From the terminal without echo, or one line of standard input (for scripts)."""
    if sys.stdin.isatty():
        return getpass.getpass("New password: ")
    return sys.stdin.readline().rstrip("\n")


def cmd_create_token(app: Flask, args: argparse.Namespace) -> int:
    with app.app_context():
        account = accounts.find_account(args.user)
        if account is None:
            _out(f"error: no account {args.user}")
            return 1
        token = accounts.issue_token(account, args.days or app.config["MOTCUA_SETTINGS"].token_days, "cli")
        db.session.commit()
        _out(token)
    return 0


def cmd_demo(app: Flask, args: argparse.Namespace) -> int:
    from webapp.demo import seed

    with app.app_context():
        tokens = seed()
        db.session.commit()
    _print_tokens(tokens)
    return 0


def cmd_jobs(app: Flask, args: argparse.Namespace) -> int:
    from webapp.outbox import failures, health

    with app.app_context():
        if args.action == "failed":
            rows, total = failures.list_(page=1, per_page=100)
            for job in rows:
                _out(f"{job.id:<6} {job.job:<24} outbox {job.outbox_id:<8} x{job.attempts:<3} "
                     f"{job.last_failed_at:%Y-%m-%d %H:%M} {job.error_class}: {job.error_message}")
            _out(f"{total} failed job(s); retry them at /can-bo/quan-tri/cong-viec-loi")
            return 0
        backlog = health.backlog()
        _out(f"outbox: {backlog.waiting} waiting, {backlog.running} running, {backlog.overdue} overdue, "
             f"oldest open {backlog.oldest_open_seconds:.0f} s; {backlog.failed} failed for good")
        workers = health.ping_workers(min(args.timeout, 2.0))
        if workers is None:
            _out("workers: this broker cannot broadcast a ping; relying on the probe")
        else:
            _out(f"workers: {len(workers)} answered" + (f" ({', '.join(workers)})" if workers else ""))
        took = health.probe(args.timeout)
        if took is None:
            _out(f"probe: FAILED, no worker finished a probe job within {args.timeout:.0f} s")
            return 1
        _out(f"probe: OK, a job went outbox -> broker -> worker -> done in {took * 1000:.0f} ms")
        return 0


def cmd_audit(app: Flask, args: argparse.Namespace) -> int:
    """Walk the audit log's hash chains (webapp/audit/chain.py) and name the first entry that breaks one."""
    from webapp.audit import chain
    from webapp.dossiers.models import Dossier

    with app.app_context():
        if args.dossier:
            dossier_id = db.session.scalar(sa.select(Dossier.id).where(Dossier.code == args.dossier))
            if dossier_id is None:
                _out(f"error: no dossier {args.dossier}")
                return 2
            result = chain.verify(dossier_id=dossier_id, every_chain=False)
        else:
            result = chain.verify()
    if result.first_break is not None:
        b = result.first_break
        _out(f"BROKEN: audit entry {b.entry_id} (dossier id {b.dossier_id or '-'}): {b.reason}; "
             f"{result.entries} entries read")
        return 1
    _out(f"ok: {result.entries} audit entries, every chain verifies"
         + (f" ({result.unsealed} from before the chain, not sealed)" if result.unsealed else ""))
    return 0


def cmd_quality(app: Flask, args: argparse.Namespace) -> int:
    """Compute a month's service-quality index now (beat does it every hour) and print the province's."""
    from webapp.reports import service as quality
    from webapp.reports.indicators import scores

    with app.app_context():
        period = args.month or quality.Month.current().period
        started = time.perf_counter()
        try:
            written = quality.compute(period)
        except quality.PeriodError as err:
            _out(f"error: {err}")
            return 2
        db.session.commit()
        took = time.perf_counter() - started
        snapshot = quality.province(period)
        _out(f"{period}: {written - 1} unit(s) and the province computed in {took:.2f} s")
        figures = snapshot.figures
        _out(f"  dossiers filed {figures['ho_so_nop']}, given a result {figures['ho_so_co_ket_qua']}, "
             f"average processing {figures['thoi_gian_xu_ly_tb_ngay'] or 0:.1f} days")
        for score in scores(figures):
            rate = "-" if score.rate is None else f"{score.rate * 100:5.1f}%"
            _out(f"  {score.indicator.key:<24} {rate:>7} ({score.hits}/{score.total}), "
                 f"full points at {score.indicator.threshold * 100:.0f}%")
        return 0


def cmd_pdf_templates(app: Flask, args: argparse.Namespace) -> int:
    from webapp.pdf import sample

    folder = args.path or app.config["MOTCUA_SETTINGS"].pdf_templates
    problems, notes = sample.report(folder)
    for note in notes:
        _out(f"warning: {note}")
    for problem in problems:
        _out(f"error: {problem}")
    if not problems:
        _out(f"all 7 desk forms render ({folder or 'built-in templates only'})")
    return 1 if problems else 0


def _print_tokens(tokens: dict[str, str]) -> None:
    from webapp.demo import DEMO_PASSWORD

    _out("Demo accounts and bearer tokens (Authorization: Bearer <token>):")
    for username, token in tokens.items():
        _out(f"  {username:<12} {token}")
    _out(f"Officers sign in at /can-bo/ with their username and the password {DEMO_PASSWORD!r}.")


def cmd_serve(app: Flask, args: argparse.Namespace) -> int:
    from webapp.demo import seed

    upgrade_database(app)
    with app.app_context():
        first_run = not db.session.scalar(sa.select(sa.func.count()).select_from(Unit))
        tokens = seed() if first_run else {}
        results = procedures.load_library(Path(app.config["MOTCUA_LIBRARY"]), actor_id=None)
        db.session.commit()
    for slug, number, created in results:
        _out(f"procedure {slug}: version {number}{' (new)' if created else ''}")
    if tokens:
        _print_tokens(tokens)
    from webapp.accounts.oidc import start_local_provider

    provider = start_local_provider(app, args.host, args.port)
    if provider is not None:
        _out(f"==> Citizen login: demo OpenID Connect provider at {provider.issuer} (pick An or Bình, no password)")
    mailbox = _start_mail_sink(app)
    background = [] if args.no_worker else _start_background(app)
    _out(f"==> Open http://{args.host}:{args.port}/  (API: http://{args.host}:{args.port}/api/v1/openapi.json)")
    try:
        app.run(host=args.host, port=args.port, threaded=True, use_reloader=False)
    finally:
        for process in background:
            process.terminate()
            process.wait(timeout=30)
        if mailbox is not None:
            mailbox.stop()
    return 0


def _start_mail_sink(app: Flask) -> Any:
    """Embedded default: a local SMTP server that keeps every e-mail for the demo mailbox page."""
    settings = app.config["MOTCUA_SETTINGS"]
    if not settings.demo_mailbox:
        return None
    if settings.smtp.host not in ("127.0.0.1", "localhost", "::1"):
        _out(f"==> E-mail: MOTCUA_SMTP_HOST {settings.smtp.host} is not this machine; no local SMTP sink")
        return None
    from webapp.notifications import sink

    try:
        running = sink.start(settings.mailbox_dir, settings.smtp.host, settings.smtp.port)
    except OSError:
        _out(f"==> E-mail: port {settings.smtp.port} is taken; no local SMTP sink (is another one running?)")
        return None
    _out(f"==> E-mail: local SMTP sink on {running.host}:{running.port}; read what was sent at /hop-thu-gia-lap")
    return running


def _start_background(app: Flask) -> list[subprocess.Popen[bytes]]:
    """The embedded default's background jobs: one Celery worker and one beat, on the same settings."""
    from kombu import Exchange, Queue

    celery = app.extensions["celery"]
    # Declare the queue once before anyone uses it: the SQLite broker cannot create it from two
    # processes at the same moment.
    with celery.connection_for_write() as connection:
        Queue("celery", Exchange("celery", type="direct"), routing_key="celery")(connection.default_channel).declare()
    settings = app.config["MOTCUA_SETTINGS"]
    schedule = settings.data_dir / "beat-schedule"
    _out("==> Background jobs: a Celery worker and beat (broker: MOTCUA_BROKER_URL or a SQLite file)")
    base = [sys.executable, "-m", "celery", "-A", "webapp.worker"]
    # They build the app from the environment, which refuses to start without a key: give them ours.
    env = {**os.environ, "MOTCUA_SECRET_KEY": settings.secret_key}
    return [
        subprocess.Popen([*base, "worker", "--pool", "solo", "--loglevel", "WARNING", "--without-mingle",
                          "--without-gossip"], env=env, preexec_fn=_die_with_parent),
        subprocess.Popen([*base, "beat", "--schedule", str(schedule), "--loglevel", "WARNING"],
                         env=env, preexec_fn=_die_with_parent),
    ]


def _die_with_parent() -> None:
    """Linux: the worker and beat stop when `serve` dies, even by SIGKILL (no orphans)."""
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def build_parser() -> argparse.ArgumentParser:
    parser = engine_cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))

    def add(name: str, func: Callable[[Flask, argparse.Namespace], int], help_: str) -> argparse.ArgumentParser:
        command = sub.add_parser(name, help=help_)
        command.set_defaults(web=func)
        return command

    serve = add("serve", cmd_serve, "run the product (embedded default unless settings say otherwise)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=5000)
    serve.add_argument("--no-worker", action="store_true", help="do not start the background-job worker")
    db_cmd = add("db", cmd_db, "database migrations")
    db_cmd.add_argument("action", choices=["upgrade"])
    proc = add("procedures", cmd_procedures, "load, publish or list procedures")
    proc.add_argument("action", choices=["load", "publish", "list"])
    proc.add_argument("path", nargs="?", help="load: library folder (default MOTCUA_LIBRARY); publish: slug")
    proc.add_argument("number", nargs="?", type=int, help="publish: version number")
    proc.add_argument("--no-publish", action="store_true", help="load: store new versions as drafts")
    units = add("units", cmd_units, "list or add units")
    units.add_argument("action", choices=["list", "add"])
    units.add_argument("code", nargs="?")
    units.add_argument("name", nargs="?")
    units.add_argument("kind", nargs="?")
    units.add_argument("--parent")
    accts = add("accounts", cmd_accounts, "list, add or grant roles to accounts")
    accts.add_argument("action", choices=["list", "add", "grant", "password"])
    accts.add_argument("username", nargs="?")
    accts.add_argument("name", nargs="?", help="add: display name; grant: unit code")
    accts.add_argument("kind", nargs="?", help="add: citizen|officer; grant: role")
    accts.add_argument("--identity", help="add: 12-digit identity number (citizens)")
    token = add("create-token", cmd_create_token, "print a bearer token for an account")
    token.add_argument("--user", required=True)
    token.add_argument("--days", type=int)
    jobs = add("jobs", cmd_jobs, "background jobs: health (exit 1 when no worker finishes a probe), failed")
    jobs.add_argument("action", choices=["health", "failed"])
    jobs.add_argument("--timeout", type=float, default=10.0, help="health: seconds to wait for the probe")
    quality_cmd = add("quality", cmd_quality, "compute a month's service-quality index now and print it")
    quality_cmd.add_argument("action", choices=["compute"])
    quality_cmd.add_argument("--month", help="YYYY-MM (default: this month, Vietnam time)")
    pdf = add("pdf-templates", cmd_pdf_templates, "check desk-form PDF templates with a sample dossier")
    pdf.add_argument("action", choices=["check"])
    pdf.add_argument("path", nargs="?", help="folder of mau_NN.yaml files (default MOTCUA_PDF_TEMPLATES)")
    audit = add("audit", cmd_audit, "audit log: verify its hash chains (exit 1, naming the first broken entry)")
    audit.add_argument("action", choices=["verify"])
    audit.add_argument("--dossier", help="verify this dossier's chain only (its code)")
    demo = add("demo", cmd_demo, "demo data")
    demo.add_argument("action", choices=["seed"])
    signing_cli.add_commands(add)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    web = getattr(args, "web", None)
    if web is None:
        return int(args.func(args))
    if args.command == "procedures" and args.action == "publish":
        args.slug = args.path
        if args.slug is None or args.number is None:
            _out("error: give SLUG and version NUMBER")
            return 2
    if args.command == "accounts" and args.action == "grant":
        args.unit, args.role = args.name, args.kind
    if args.command == "units" and args.action == "add" and not all((args.code, args.name, args.kind)):
        _out("error: give CODE NAME KIND")
        return 2
    needs_three = args.command == "accounts" and args.action in ("add", "grant")
    if needs_three and not all((args.username, args.name, args.kind)):
        _out("error: missing arguments")
        return 2
    try:
        app = create_app(settings=embedded_settings(serving=args.command == "serve"))
    except SettingsError as err:
        print(f"motcua: refusing to start: {err}", file=sys.stderr, flush=True)
        return 2
    return int(web(app, args))


def embedded_settings(*, serving: bool, env: dict[str, str] | None = None) -> Settings:
    """The environment's settings; an unset MOTCUA_SECRET_KEY means the demo's stored key. A key
    that is set is used as it is, so a short or public one is refused here too."""
    env = dict(os.environ if env is None else env)
    if not env.get("MOTCUA_SECRET_KEY"):
        key = stored_key(data_dir_from(env), create=serving)
        # No stored key and not serving: a key nobody keeps, as nothing this command signs outlives it.
        env["MOTCUA_SECRET_KEY"] = key or secrets.token_urlsafe(48)
    return Settings.from_env(env)


if __name__ == "__main__":
    sys.exit(main())
