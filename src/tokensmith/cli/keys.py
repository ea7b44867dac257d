"""``tokensmith keys …``."""

from __future__ import annotations

from collections.abc import Iterable

import typer

from tokensmith.cli.context import emit, handles_errors, load_services
from tokensmith.core.actors import Actor
from tokensmith.services.key_retirement import RetirementStatus, retirement_status
from tokensmith.services.keys import KeyInfo

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
    as_json: bool = typer.Option(False, "--json"),
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
def list_keys(as_json: bool = typer.Option(False, "--json")) -> None:
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
def rewrap(as_json: bool = typer.Option(False, "--json")) -> None:
    """Re-encrypt every signing key under the current master key (one transaction, idempotent)."""
    services = load_services()
    typer.echo(f"re-encrypting signing keys under master key id {services.hasher.current_key_id}…", err=True)
    result = services.keyring.rewrap(services.audit, Actor.system())
    summary = {
        "total": result.total,
        "rewrapped": result.rewrapped,
        "already_current": result.already_current,
        "master_key_id": result.master_key_id,
        "rewrapped_kids": list(result.rewrapped_kids),
    }
    typer.echo(
        f"{result.rewrapped} of {result.total} signing key(s) re-encrypted, "
        f"{result.already_current} already current",
        err=True,
    )
    if as_json:
        emit(summary, True, "")


def _status_document(status: RetirementStatus) -> dict[str, object]:
    return {
        "current_key_id": status.current_key_id,
        "old_key_ids": status.old_key_ids,
        "ready_to_retire": status.ready_to_retire,
        "signing_keys": {
            "total": len(status.signing_keys),
            "to_rewrap": status.signing_keys_to_rewrap,
            "by_master_key_id": _count(k.master_key_id for k in status.signing_keys),
            "legacy_format": sum(1 for k in status.signing_keys if k.legacy_format),
            "kids_to_rewrap": [k.kid for k in status.signing_keys if not k.current],
        },
        "hashes": status.hashes,
        "hashes_under_old_keys": status.hashes_under_old_keys(),
        "expire_by": {k: v.isoformat() if v else None for k, v in status.expire_by.items()},
        "holders": [
            {
                "kind": h.kind,
                "id": h.id,
                "label": h.label,
                "key_id": h.key_id,
                "last_used_at": h.last_used_at.isoformat() if h.last_used_at else None,
            }
            for h in status.holders
        ],
    }


def _count(values: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts


def _status_text(status: RetirementStatus) -> str:
    def label(key_id: str) -> str:
        if key_id == status.current_key_id:
            return f"{key_id} (current)"
        return f"{key_id} (old)" if key_id in status.old_key_ids else f"{key_id} (not configured)"

    lines = [f"current master key id: {status.current_key_id}"]
    lines.append("old master key ids:    " + (", ".join(status.old_key_ids) or "none"))
    lines.append(
        f"signing keys: {len(status.signing_keys)}, to rewrap: {status.signing_keys_to_rewrap}"
        + (" (run `tokensmith keys rewrap`)" if status.signing_keys_to_rewrap else "")
    )
    lines.append("live secret hashes by master key id:")
    for kind, per_key in status.hashes.items():
        detail = ", ".join(f"{label(k)} {n}" for k, n in sorted(per_key.items())) or "none"
        until = status.expire_by.get(kind)
        lines.append(
            f"  {kind:<23} {detail}" + (f"; old ones expire by {until.isoformat()}" if until else "")
        )
    for h in status.holders:
        used = h.last_used_at.isoformat() if h.last_used_at else "never"
        lines.append(f"  still under {h.key_id}: {h.kind} {h.id} ({h.label}), last used {used}")
    lines.append(
        "ready to empty TOKENSMITH_OLD_SECRET_KEYS"
        if status.ready_to_retire
        else "not ready: old keys are still needed (see above)"
    )
    return "\n".join(lines)


@keys.command("status")
@handles_errors
def status(as_json: bool = typer.Option(False, "--json")) -> None:
    """How many signing keys and live secret hashes still use an old master key, per key id."""
    services = load_services()
    report = retirement_status(services.database, services.clock, services.hasher, services.keyring)
    emit(_status_document(report), as_json, _status_text(report))
