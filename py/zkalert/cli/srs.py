"""``zkalert srs``: a powers-of-tau ceremony, run offline by the parties who must trust its SRS.

    zkalert srs new POWER --out F                   start a transcript of 2^POWER powers
    zkalert srs contribute IN --out OUT --name N    add a contribution (fresh entropy; its hash)
    zkalert srs beacon IN --out OUT --beacon HEX    a public random value, the last contribution
    zkalert srs prepare IN --out OUT                add the Lagrange sections (for the import)
    zkalert srs verify F [--hash H]                 every check; power, contributions, hashes, SRS id
    zkalert srs import F --logrows K [--hash H]     the EZKL SRS file for circuits of logrows K

``zkalert compile --srs F.ptau`` imports a transcript by itself. docs/guides/ceremony.md walks
through a ceremony between a utility and a regulator.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from zkalert.cli.options import JsonOpt

srs_app = typer.Typer(
    no_args_is_help=True,
    help="Powers-of-tau ceremonies (snarkjs): start, contribute, beacon, prepare, verify, import.",
)

InOpt = Annotated[Path, typer.Argument(help="The transcript (.ptau) to start from.")]
OutOpt = Annotated[
    Path, typer.Option("--out", help="The new transcript (.ptau); refused if it exists.")
]
HashOpt = Annotated[
    str | None,
    typer.Option(
        "--hash",
        help="The transcript's published hash: blake2b-512 (128 hex digits, as published for the "
        "Perpetual Powers of Tau and Hermez files) or SHA-256 (64).",
        show_default=False,
    ),
]


@srs_app.command("new")
def new_cmd(
    power: Annotated[
        int, typer.Argument(min=1, max=28, help="2^POWER powers: circuits up to logrows POWER.")
    ],
    out: OutOpt,
) -> None:
    """Start a BN254 transcript; it holds no contribution yet (it is not usable as it is)."""
    from zkalert.zk import ceremony

    ceremony.new(power, out, echo=typer.echo)
    typer.echo(f"{out}: power {power}; next: `zkalert srs contribute {out} --out ... --name ...`")


@srs_app.command("contribute")
def contribute_cmd(
    transcript: InOpt,
    out: OutOpt,
    name: Annotated[str, typer.Option("--name", help="Who contributes (recorded in the file).")],
) -> None:
    """Add a contribution: a fresh secret from this machine mixed into τ, then forgotten.

    Nobody learns τ unless every contributor kept their secret. Prints the contribution's hash:
    note it; `zkalert srs verify` on the final transcript must list it under your name."""
    from zkalert.zk import ceremony

    digest = ceremony.contribute(transcript, out, name, echo=typer.echo)
    typer.echo(f"contribution hash ({name}): {digest}")
    typer.echo(f"{out}: pass it on to the next party (or apply the beacon)")


@srs_app.command("beacon")
def beacon_cmd(
    transcript: InOpt,
    out: OutOpt,
    beacon: Annotated[
        str,
        typer.Option(
            "--beacon",
            help="A public random value nobody could know in advance (e.g. a future block hash), hex.",
        ),
    ],
    iterations: Annotated[
        int,
        typer.Option(
            "--iterations", min=10, max=63, help="2^N SHA-256 rounds of the beacon value."
        ),
    ] = 10,
) -> None:
    """Apply a random beacon: the last contribution, which anyone can recompute from the value."""
    from zkalert.zk import ceremony

    digest = ceremony.beacon(transcript, out, beacon, iterations, echo=typer.echo)
    typer.echo(f"beacon contribution hash: {digest}")
    typer.echo(f"{out}: next: `zkalert srs prepare {out} --out ...`")


@srs_app.command("prepare")
def prepare_cmd(transcript: InOpt, out: OutOpt) -> None:
    """Add the Lagrange sections (snarkjs's prepare phase2); an import needs them."""
    from zkalert.zk import ceremony

    prepared = ceremony.prepare(transcript, out, echo=typer.echo)
    typer.echo(f"{out}: prepared, power {prepared.power}; next: `zkalert srs verify {out}`")


@srs_app.command("verify")
def verify_cmd(
    transcript: Annotated[Path, typer.Argument(help="The transcript (.ptau).")],
    published_hash: HashOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Check a whole transcript; print its power, contributions, transcript hash and SRS id.

    The checks: complete, BN254, the published hash, snarkjs's verification of every
    contribution and of the powers, and a pairing check of [τ]G1 against [τ]G2."""
    from zkalert.zk import ceremony

    echo = (lambda _m: None) if as_json else typer.echo
    result = ceremony.verify(transcript, published_hash, echo=echo)
    if as_json:
        typer.echo(json.dumps({"transcript": str(transcript), **asdict(result)}, indent=2))
        return
    typer.echo(f"transcript: {transcript}")
    typer.echo(
        f"power: {result.power} (serves circuits up to logrows {result.power})"
        + (f", cut from a power-{result.ceremony_power} ceremony" if result.ceremony_power != result.power else "")
        + ("; prepared" if result.prepared else "")
    )  # fmt: skip
    typer.echo(f"contributions: {len(result.contributions)}")
    for c in result.contributions:
        what = f" (beacon {c.beacon}, 2^{c.iterations} rounds)" if c.beacon else ""
        typer.echo(f"  #{c.id} {c.name or '(no name)'}{what}: {c.hash}")
    typer.echo(f"transcript hash (blake2b-512): {result.transcript_hash}")
    typer.echo(f"SRS id: {result.srs_id}")


@srs_app.command("import")
def import_cmd(
    transcript: Annotated[Path, typer.Argument(help="The transcript (.ptau), prepared or not.")],
    logrows: Annotated[
        int, typer.Option("--logrows", min=1, max=28, help="The circuit's logrows.")
    ],
    published_hash: HashOpt = None,
) -> None:
    """Make the EZKL SRS file for circuits of LOGROWS from a transcript; print its path.

    Every check of `zkalert srs verify` first; cached by the transcript's hash under the SRS
    folder (a transcript verified here once is not verified again). Progress on stderr, the
    file's path on stdout. `zkalert compile --srs F.ptau` does this by itself."""
    from zkalert.zk import ceremony

    imported = ceremony.import_transcript(
        transcript, logrows, published_hash, echo=lambda m: typer.echo(m, err=True)
    )
    typer.echo(
        f"SRS id {imported.srs_id}, transcript {imported.transcript_hash[:16]}…"
        + (" (verified earlier)" if imported.reused else ""),
        err=True,
    )
    typer.echo(str(imported.path))
