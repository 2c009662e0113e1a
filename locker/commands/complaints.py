"""Commands that turn evidence into documents: profile set/show, report, export."""

from __future__ import annotations

import click

from evidence import profile as core_profile
from locker.context import AppContext
from locker.output import emit_json, status

pass_app = click.make_pass_decorator(AppContext)
json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")


@click.group()
def profile() -> None:
    """Your details as the complainant (stored encrypted; needed by reports).

    \b
    Example:
      locker profile set --name 王五 --id-number 440305199202021234 --phone 13600000000
    """


@profile.command(name="set")
@click.option("--name", help="Your full name (姓名).")
@click.option("--id-number", help="Your ID card number (身份证号).")
@click.option("--phone", help="A phone number the authority can reach you on.")
@click.option("--address", help="Your postal address.")
@pass_app
def profile_set(
    app: AppContext, name: str | None, id_number: str | None, phone: str | None, address: str | None
) -> None:
    """Set some or all of your details.

    \b
    Example:
      locker profile set --name 王五 --phone 13600000000
    """
    values = core_profile.set_profile(
        app.store(), {"name": name, "id_number": id_number, "phone": phone, "address": address}
    )
    status(f"profile has: {', '.join(sorted(values))}")


@profile.command(name="show")
@json_option
@pass_app
def profile_show(app: AppContext, as_json: bool) -> None:
    """Print your details.

    \b
    Example:
      locker profile show
    """
    values = core_profile.get_profile(app.store())
    if as_json:
        emit_json({f: values.get(f) for f in core_profile.FIELDS})
        return
    for f in core_profile.FIELDS:
        click.echo(f"{f:10} {values.get(f, '(not set)')}")


COMMANDS: list[click.Command] = [profile]
