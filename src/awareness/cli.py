"""The `awareness` command. Every subcommand reads the same settings as the server, so it works
against a running service's database."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar
from urllib.parse import quote

import typer
from sqlalchemy import exc as sa_exc

from awareness.auth import keys as key_store
from awareness.auth import orgs as org_store
from awareness.auth.principal import Role
from awareness.clock import SystemClock
from awareness.db.engine import Database, open_database
from awareness.db.migrate import alembic_config, current_revision, head_revision, upgrade_to_head
from awareness.errors import AwarenessError, ValidationFailed
from awareness.logs import configure_logging
from awareness.settings import Settings, SettingsError, load_settings

T = TypeVar("T")
app = typer.Typer(
    help="awareness: sector-wide cyber threat levels and early warnings.",
    no_args_is_help=True,
    add_completion=False,
)
orgs_app = typer.Typer(help="Operator organizations.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys.", no_args_is_help=True)
app.add_typer(orgs_app, name="orgs")
app.add_typer(keys_app, name="keys")
audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
feeds_app = typer.Typer(
    help="Known-exploited vulnerabilities and ICS advisories.", no_args_is_help=True
)
feeds_import_app = typer.Typer(
    help="Import CISA's KEV catalogue or CSAF advisories.", no_args_is_help=True
)
feeds_app.add_typer(feeds_import_app, name="import")
app.add_typer(feeds_app, name="feeds")
log = logging.getLogger("awareness.cli")
CLI_ACTOR = "cli"
MIGRATE_FIRST = 'run "awareness migrate" first'
# Records read per query when verifying; longer chains print their progress.
AUDIT_PAGE = 5000


# `serve` and `demo` take the sector profile as an option as well as AWARENESS_PROFILE.
Profile = Annotated[
    str | None,
    typer.Option(help="sector profile: us-ppd21 (default) or cn-cii (config/profiles)"),
]


def _settings(profile: str | None = None) -> Settings:
    try:
        settings = load_settings(profile=profile) if profile else load_settings()
    except SettingsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    configure_logging(level=settings.log.level, fmt=settings.log.format)
    return settings


def _with_database(
    settings: Settings, job: Callable[[Database], Awaitable[T]], *, migrating: bool = False
) -> T:
    """Runs `job` on the configured database once it is known to be reachable and at this
    version's schema; every way of failing ends in one line on stderr naming the fix.

    The rule: only `migrate` and `serve` change the schema (and `demo`, on a database of its
    own). Every other command, even a write such as `keys create`, first checks that the
    schema is at the head revision and otherwise stops before it reads or writes anything,
    naming `awareness migrate`: it neither creates a schema nor upgrades one. A mistyped
    AWARENESS_DATABASE_URL would otherwise quietly gain a fresh schema (on SQLite, a new file)
    holding a key no server ever looks up; and an upgrade is a step of its own in a deployment
    whose running replicas may still be the older version."""

    async def run() -> T:
        database = open_database(settings.effective_database_url, settings.database)
        try:
            await _check_schema(database, migrating=migrating)
            return await job(database)
        finally:
            await database.dispose()

    try:
        return asyncio.run(run())
    except _Refusal as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    except ValidationFailed as exc:
        typer.echo(f"error: {exc.message}", err=True)
        for error in exc.errors:
            typer.echo(f"  --{error.field}: {error.message}", err=True)
        raise typer.Exit(2) from None
    except AwarenessError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from None
    except (OSError, sa_exc.OperationalError, sa_exc.InterfaceError) as exc:  # lost mid-way
        typer.echo(
            f"error: {_unreachable(_hide_password(settings.effective_database_url), exc)}", err=True
        )
        raise typer.Exit(1) from None


class _Refusal(Exception):
    """Why a command stops before it starts, worded as the line the user reads."""


async def _check_schema(database: Database, *, migrating: bool) -> None:
    """Refuses a database that is unreachable, has no schema, or is not at the head revision;
    `migrate` only one at a revision this version does not know, which migrating cannot mend."""
    url = database.url.render_as_string(hide_password=True)
    refusal = _sqlite_refusal(database, url, migrating=migrating)
    if refusal is not None:
        raise _Refusal(refusal)
    try:
        current = await current_revision(database)
    except (OSError, sa_exc.DBAPIError) as exc:
        raise _Refusal(_unreachable(url, exc)) from exc
    head = head_revision()
    if current is not None and current != head and current not in _known_revisions():
        raise _Refusal(
            f"the database at {url} is at schema revision {current}, which this awareness "
            f"(newest {head}) does not know: run the version that migrated it, or check "
            "AWARENESS_DATABASE_URL"
        )
    if migrating or current == head:
        return
    if current is None:
        raise _Refusal(f"the database at {url} has no schema yet: {MIGRATE_FIRST}")
    raise _Refusal(
        f"the database at {url} is at schema revision {current}, not {head}: {MIGRATE_FIRST}"
    )


def _sqlite_refusal(database: Database, url: str, *, migrating: bool) -> str | None:
    """SQLite, checked without aiosqlite: it leaves the thread of a file it failed to open to
    print a traceback once the event loop is gone. A missing file is no schema, and looking
    for one must not create it; a missing directory or a file denied is unreachable."""
    path = database.url.database or ""
    if not database.is_sqlite or path in ("", ":memory:") or path.startswith("file:"):
        return None
    if not migrating and not Path(path).exists() and Path(path).parent.is_dir():
        return f"the database at {url} has no schema yet: {MIGRATE_FIRST}"
    mode = "rwc" if migrating else "rw"
    try:
        sqlite3.connect(f"file:{quote(path)}?mode={mode}", uri=True).close()
    except sqlite3.Error as exc:
        return _unreachable(url, exc)
    return None


def _known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(alembic_config())
    return {script.revision for script in scripts.walk_revisions()}


def _unreachable(url: str, exc: BaseException) -> str:
    """One line: the URL, the driver's own words (not SQLAlchemy's SQL and links), and what to
    check."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    reason = text.splitlines()[0] if text else type(exc).__name__
    return (
        f"cannot use the database at {url} ({reason}): check that it is running and that "
        "AWARENESS_DATABASE_URL points at it"
    )


def _administer(settings: Settings, action: Callable[..., Awaitable[T]], **fields: Any) -> T:
    """An administrative write (organization, key) in one transaction, as the command line."""

    async def job(database: Database) -> T:
        async with database.write() as conn:
            return await action(
                conn, **fields, known_sectors=settings.sectors.sectors,
                now=SystemClock().now(), actor=CLI_ACTOR,
            )  # fmt: skip

    return _with_database(settings, job)


def _migrate(settings: Settings) -> tuple[str | None, str]:
    return _with_database(settings, upgrade_to_head, migrating=True)


@app.command()
def migrate() -> None:
    """Apply pending database migrations and exit."""
    settings = _settings()
    before, after = _migrate(settings)
    typer.echo(f"schema at {after}" + (f" (was {before})" if before != after else ", up to date"))


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="interface to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="TCP port")] = None,
    profile: Profile = None,
) -> None:
    """Apply pending migrations, then serve the API, the feed and the dashboard."""
    settings = _settings(profile)
    _migrate(settings)
    _check_profile(settings)
    _run_server(settings, host=host or settings.server.host, port=port or settings.server.port)


def _check_profile(settings: Settings) -> None:
    """Stops, naming the organizations, before a profile that lacks their sectors serves."""

    async def job(database: Database) -> None:
        async with database.read() as conn:
            await org_store.check_profile(
                conn, profile=settings.profile, sectors=settings.sectors.sectors
            )

    try:
        _with_database(settings, job)
    except org_store.ProfileMismatch as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


def _run_server(settings: Settings, *, host: str, port: int) -> None:
    from awareness.api.app import create_app
    from awareness.api.server import serve as run

    run(create_app(settings), settings, host=host, port=port)


@orgs_app.command("create")
def orgs_create(
    org_id: Annotated[str, typer.Argument(metavar="ID", help="short id, e.g. grid-north")],
    name: Annotated[str, typer.Option(help="display name")],
    sector: Annotated[str, typer.Option(help="one of the configured sectors")],
    region: Annotated[str | None, typer.Option(help="free-text region")] = None,
) -> None:
    """Register an operator organization."""
    settings = _settings()
    _administer(
        settings, org_store.create_org, org_id=org_id, name=name, sector=sector, region=region
    )
    typer.echo(f"organization {org_id} registered in sector {sector}")


@orgs_app.command("list")
def orgs_list() -> None:
    """List registered organizations."""
    settings = _settings()

    async def job(database: Database) -> list[dict[str, object]]:
        async with database.read() as conn:
            return await org_store.list_orgs(conn)

    for org in _with_database(settings, job):
        typer.echo(f"{org['id']}\t{org['sector']}\t{org['name']}\t{org['region'] or ''}")


@keys_app.command("create")
def keys_create(
    role: Annotated[Role, typer.Option(help="operator, supervisor, responder or admin")],
    org: Annotated[str | None, typer.Option(help="operators: the organization's id")] = None,
    sector: Annotated[
        list[str] | None, typer.Option(help="supervisors, responders: repeatable; none = all")
    ] = None,
    name: Annotated[str | None, typer.Option(help="a label to recognise the key by")] = None,
) -> None:
    """Create an API key and print it, alone, as the last line. It is never shown again."""
    settings = _settings()
    created = _administer(
        settings, key_store.create_key, role=role, org_id=org, sectors=sector, name=name
    )
    scope = f"org {org}" if org else ("sectors " + ", ".join(sector) if sector else "all sectors")
    typer.echo(f"created {role.value} key {created.id} ({created.prefix}...) for {scope}")
    typer.echo("store it now: it is never shown again")
    typer.echo(created.key)


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[int, typer.Argument(metavar="KEY_ID")]) -> None:
    """Revoke a key by its id."""
    settings = _settings()

    async def job(database: Database) -> bool:
        async with database.write() as conn:
            return await key_store.revoke_key(
                conn, key_id=key_id, now=SystemClock().now(), actor=CLI_ACTOR
            )

    if not _with_database(settings, job):
        typer.echo(f"error: no active key {key_id}", err=True)
        raise typer.Exit(1)
    typer.echo(f"key {key_id} revoked")


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the audit trail's hash chain: exit 0 with the count when intact, else 1 naming the
    first broken record and what is wrong with it."""
    from awareness.auth import chain

    settings = _settings()

    def progress(checked: int, total: int) -> None:
        if total > AUDIT_PAGE:
            typer.echo(f"checked {checked} of {total} records", err=True)

    async def job(database: Database) -> chain.Verdict:
        return await chain.verify(database, page=AUDIT_PAGE, progress=progress)

    verdict = _with_database(settings, job)
    start = f" after the anchor at record {verdict.anchor_id}" if verdict.anchor_id else ""
    if not verdict.intact:
        typer.echo(
            f"error: audit record {verdict.broken_id} is broken: {verdict.problem} "
            f"({verdict.checked} records before it are intact{start})",
            err=True,
        )
        raise typer.Exit(1)
    typer.echo(f"audit trail intact: {verdict.checked} records{start}, head {verdict.head}")


def _import_feed(settings: Settings, path: Path, feed: str) -> None:
    """Reads and judges the file (or directory) first, then stores it in one transaction;
    a file that cannot be imported at all stops with one line naming it, changing nothing."""
    import time

    from awareness.feeds import documents, importer

    started = time.monotonic()
    aliases = settings.vendors.aliases

    def progress(done: int, total: int) -> None:
        if total > importer.CHUNK:
            typer.echo(f"stored {done} of {total} {feed} records", err=True)

    def prepare() -> importer.Prepared:
        try:
            if feed == "kev":
                content = documents.read_json_file(path)
            else:
                files = documents.feed_files(path)
                if len(files) > 1:
                    typer.echo(f"reading {len(files)} files in {path}", err=True)
                content = list(documents.read_documents(path))
        except documents.FeedRejected as exc:
            advice = importer.KEV_HELP if feed == "kev" else importer.CSAF_HELP
            raise _Refusal(f"{exc.message}; {advice}") from None
        try:
            return (
                importer.prepare_kev(content, aliases=aliases)
                if feed == "kev"
                else importer.prepare_csaf(content, aliases=aliases)
            )
        except documents.FeedRejected as exc:
            raise _Refusal(f"{path}: {exc.message}") from None

    async def job(database: Database) -> importer.ImportReport:
        prepared = prepare()
        typer.echo(f"read {len(prepared.rows)} {feed} records from {path}", err=True)
        async with database.write() as conn:
            return await importer.store(
                conn, prepared, now=SystemClock().now(), actor=CLI_ACTOR, progress=progress
            )

    report = _with_database(settings, job)
    typer.echo(f"{report.summary()} in {time.monotonic() - started:.1f} s")
    for refusal in report.refused:
        typer.echo(f"refused {refusal['id']}: {refusal['reason']}")


@feeds_import_app.command("kev")
def feeds_import_kev(
    file: Annotated[
        Path, typer.Argument(metavar="FILE", help="known_exploited_vulnerabilities.json[.gz]")
    ],
) -> None:
    """Import CISA's Known Exploited Vulnerabilities catalogue (JSON, or gzip of it); print
    how many entries were new, updated, unchanged and refused."""
    _import_feed(_settings(), file, "kev")


@feeds_import_app.command("csaf")
def feeds_import_csaf(
    path: Annotated[
        Path,
        typer.Argument(
            metavar="FILE|DIR", help="CSAF 2.0 JSON or JSON lines, gzip or not, or a directory"
        ),
    ],
) -> None:
    """Import CSAF 2.0 advisories: a JSON document, a JSON array, JSON lines, gzip of any of
    them, or a directory of .json/.jsonl files. A document that cannot be read is refused, with
    its reason, while the others import; a file of which nothing can be read changes nothing."""
    _import_feed(_settings(), path, "csaf")


@app.command("settings")
def show_settings(
    reference: Annotated[
        bool, typer.Option("--reference", help="every setting as a Markdown table")
    ] = False,
) -> None:
    """Print the effective settings (the database password hidden), or their reference."""
    if reference:
        from awareness.reference import markdown

        typer.echo(markdown(), nl=False)
        return
    settings = _settings()
    shown = settings.model_dump(mode="json", exclude={"scoring", "sectors"})
    shown["database_url"] = _hide_password(settings.effective_database_url)
    import json

    typer.echo(json.dumps(shown, indent=2))


def _hide_password(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@app.command()
def demo(
    host: Annotated[str | None, typer.Option(help="interface to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="TCP port")] = None,
    database: Annotated[
        Path | None, typer.Option(help="SQLite file to use instead of a fresh temporary one")
    ] = None,
    speed: Annotated[float, typer.Option(min=0.1, max=100, help="play the scenario faster")] = 1.0,
    seed: Annotated[int, typer.Option(help="another cast and scenario")] = 7,
    profile: Profile = None,
) -> None:
    """Serve a live demo: operators across the sectors with real products, and a scenario of
    noise, a coordinated campaign against one sector and calm, streamed until stopped."""
    import tempfile

    from awareness.demo.run import demo_settings, run_demo

    settings = _settings(profile)
    # The demo talks on standard output; only problems go to the log.
    logging.getLogger().setLevel(max(logging.WARNING, logging.getLogger().level))
    fresh = None
    if database is None:
        fresh = Path(tempfile.mkdtemp(prefix="awareness-demo-"))
        database = fresh / "demo.db"
    settings = demo_settings(
        settings.model_copy(update={"database_url": f"sqlite+aiosqlite:///{database.resolve()}"})
    )
    try:
        asyncio.run(
            run_demo(
                settings,
                host=host or settings.server.host,
                port=port or settings.server.port,
                speed=speed,
                seed=seed,
                fresh=fresh,
            )
        )
    except org_store.ProfileMismatch as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        typer.echo("demo stopped")


@app.command()
def rescore(
    config: Annotated[
        Path | None, typer.Option(help="another configuration directory to backtest")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="only report what would differ")
    ] = False,
) -> None:
    """Rebuild every level, campaign and warning from the stored reports alone and show what
    differs from the live state; without --dry-run the rebuilt state replaces the live one."""
    from awareness.correlator import rescore as replay

    settings = _settings()
    try:
        scoring = load_settings(config_dir=config) if config else settings
    except SettingsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    if config is not None:
        scoring = scoring.model_copy(update={"database_url": settings.database_url})

    async def job(database: Database) -> list[str]:
        now = SystemClock().now()
        with replay.scratch_directory() as scratch_dir:
            rebuilt = await replay.rebuild(
                database,
                scoring,
                scratch_dir=Path(scratch_dir),
                now=now,
                progress=lambda line: typer.echo(line, err=True),
            )
            try:
                comparison = await replay.compare(database, rebuilt)
                lines = comparison.lines()
                if not dry_run:
                    changed = await replay.replace_live_state(database, rebuilt, now=now)
                    lines.append(
                        "live state replaced" + (": " + "; ".join(changed) if changed else "")
                    )
                return lines
            finally:
                await rebuilt.dispose()

    try:
        for line in _with_database(settings, job):
            typer.echo(line)
    except replay.LeaderBusy as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


def main() -> None:
    app(prog_name="awareness")


if __name__ == "__main__":
    main()
