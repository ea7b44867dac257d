"""``tokensmith keys …``."""

from __future__ import annotations

from datetime import datetime

import typer

from tokensmith.cli.context import AsJson, emit, handles_errors, load_services
from tokensmith.core.actors import Actor
from tokensmith.core.key_states import KeyInfo
from tokensmith.services.key_retirement import RetirementStatus, retirement_status

keys = typer.Typer(help="Token signing keys.", no_args_is_help=True)


def _public(info: KeyInfo) -> dict[str, object]:
    return {
        "kid": info.kid,
        "algorithm": info.algorithm,
        "state": info.state.value,
        "generation": info.generation,
        "created_at": info.created_at.isoformat(),
        "activates_at": info.activates_at.isoformat(),
    }


@keys.command("rotate")
@handles_errors
def rotate(
    algorithm: str | None = typer.Option(
        None, "--algorithm", help="ES256, EdDSA or RS256 (default: setting)."
    ),
    as_json: AsJson = False,
) -> None:
    """Add the next signing key: published now, signing after the publish delay."""
    services = load_services()
    if algorithm is not None and algorithm not in ("ES256", "EdDSA", "RS256"):
        typer.echo("error: --algorithm must be ES256, EdDSA or RS256", err=True)
        raise typer.Exit(2)
    info = services.keyring.rotate(algorithm)
    emit(
        _public(info),
        as_json,
        f"{info.kid}  {info.algorithm}  {info.state.value}  activates {info.activates_at}",
    )


@keys.command("list")
@handles_errors
def list_keys(as_json: AsJson = False) -> None:
    """List signing keys and their state (next, active, retired, expired)."""
    services = load_services()
    infos = services.keyring.describe()
    emit(
        [_public(i) for i in infos],
        as_json,
        "\n".join(f"{i.kid}  {i.algorithm:<6} {i.state.value:<8} gen {i.generation}" for i in infos),
    )


@keys.command("rewrap")
@handles_errors
def rewrap(as_json: AsJson = False) -> None:
    """Re-encrypt every signing key under the current master key (one transaction, idempotent)."""
    services = load_services()
    current = services.keyring.master_key_ids[0]
    typer.echo(f"re-encrypting signing keys under the current master key ({current})…", err=True)
    result = services.keyring.rewrap(services.audit, Actor.system())
    typer.echo(
        f"{result.rewrapped} of {result.total} signing key(s) re-encrypted, "
        f"{result.already_current} already current",
        err=True,
    )
    if as_json:
        emit(
            {
                "total": result.total,
                "rewrapped": result.rewrapped,
                "already_current": result.already_current,
                "master_key_id": result.master_key_id,
                "rewrapped_kids": list(result.rewrapped_kids),
            },
            True,
            "",
        )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _status_document(status: RetirementStatus) -> dict[str, object]:
    return {
        "ready_to_retire": status.ready_to_retire,
        "signing_keys_to_rewrap": status.signing_keys_to_rewrap,
        "hashes_under_old_keys": status.hashes_under_old_keys,
        "master_keys": [
            {
                "role": k.role,
                "hash_key_id": k.hash_key_id,
                "signing_key_id": k.signing_key_id,
                "signing_keys": k.signing_keys,
                "hashes": k.hashes,
            }
            for k in status.master_keys
        ],
        "signing_keys": [
            {
                "kid": k.kid,
                "generation": k.generation,
                "master_key_id": k.master_key_id,
                "current": k.current,
                "legacy_format": k.legacy_format,
            }
            for k in status.signing_keys
        ],
        "unusable_hashes": status.unusable_hashes,
        "old_expire_by": {kind: _iso(when) for kind, when in status.expire_by.items()},
        "holders": [
            {
                "kind": h.kind,
                "id": h.id,
                "label": h.label,
                "hash_key_id": h.key_id,
                "last_used_at": _iso(h.last_used_at),
            }
            for h in status.holders
        ],
    }


def _status_text(status: RetirementStatus) -> str:
    lines = []
    for key in status.master_keys:
        hashes = ", ".join(f"{kind} {n}" for kind, n in key.hashes.items() if n) or "none"
        lines.append(
            f"{key.role:<7} master key {key.hash_key_id}/{key.signing_key_id}: "
            f"{key.signing_keys} signing key(s); live hashes: {hashes}"
        )
    if status.signing_keys_to_rewrap:
        lines.append(
            f"{status.signing_keys_to_rewrap} signing key(s) to re-encrypt: run `tokensmith keys rewrap`"
        )
    for kind, when in status.expire_by.items():
        if when is not None:
            lines.append(f"{kind}s under old keys expire by {when.isoformat()}")
    for h in status.holders:
        used = h.last_used_at.isoformat() if h.last_used_at else "never"
        lines.append(f"still under old key {h.key_id}: {h.kind} {h.id} ({h.label}), last used {used}")
    for kind, per_key in status.unusable_hashes.items():
        for key_id, n in per_key.items():
            lines.append(f"{n} {kind} hash(es) under unconfigured key {key_id} can no longer authenticate")
    lines.append(
        "ready: TOKENSMITH_OLD_SECRET_KEYS can be emptied"
        if status.ready_to_retire
        else "not ready: the old master keys are still needed"
    )
    return "\n".join(lines)


@keys.command("status")
@handles_errors
def status(as_json: AsJson = False) -> None:
    """What still uses an old master key: signing keys and live secret hashes, per key id."""
    services = load_services()
    report = retirement_status(services.database, services.clock, services.hasher, services.keyring)
    emit(_status_document(report), as_json, _status_text(report))
