"""``juece catalogue …``: the office's yearly catalogue of decision matters (决策事项目录)."""

from __future__ import annotations

import datetime as dt

import click

from cli.common import Ctx, emit, json_option, pass_ctx


@click.group()
def catalogue() -> None:
    """The yearly catalogue of decision matters (决策事项目录, Art. 3)."""


@catalogue.command("publish")
@click.argument("year", type=int)
@click.option("--as", "actor", required=True, help="chief executive, secretary or administrator of the office")
@click.option("--reference", required=True, help="document number or web address of the published catalogue")
@click.option("--party-consent", required=True, help="reference of the Party committee's consent (Art. 3)")
@click.option("--channel", "channels", multiple=True, help="where it was published; repeat for several")
@click.option("--on", "published_on", type=click.DateTime(formats=["%Y-%m-%d"]), help="publication date (default today)")
@json_option
@pass_ctx
def catalogue_publish(c: Ctx, year: int, actor: str, reference: str, party_consent: str, channels: tuple[str, ...],
                      published_on: dt.datetime | None, as_json: bool) -> None:
    """Record that the office published its catalogue for YEAR (meets the catalogue deadline; audited)."""
    from workflow.admin.catalogue_publication import publish_catalogue

    done = publish_catalogue(c.core, year, actor, reference, party_consent=party_consent, channels=channels,
                             published_on=published_on.date() if published_on else None)
    if as_json:
        emit(done.as_dict())
        return
    kind = "published" if done.revision == 1 else f"adjusted (revision {done.revision})"
    click.echo(f"catalogue {done.year} {kind} on {done.published_on.isoformat()}: {done.reference}")
