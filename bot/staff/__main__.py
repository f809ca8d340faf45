"""The staff directory and Open311 api keys from the command line.

Operators and scripts rely on it exactly:
  python -m bot.staff add --name "Ilze Ozola" --telegram 123456789
  python -m bot.staff add --name "Ilze Ozola" --login ilze --password-stdin
  python -m bot.staff list
  python -m bot.staff remove --telegram ID | --login NAME
  python -m bot.staff apikey --name "Pilsētas lietotne" [--read-all]   (an Open311 api key, shown once)
  python -m bot.staff apikey --list
  python -m bot.staff apikey --revoke "Pilsētas lietotne"
"""
from __future__ import annotations

import argparse
import sys
from typing import Optional

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot import settings
from bot.register import api_keys, migrate
from bot.staff.auth import MIN_PASSWORD_LENGTH
from bot.staff.directory import open_directory


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.staff", description="The staff directory.")
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add", help="add a staff member or another identity of one")
    add.add_argument("--name", required=True)
    add.add_argument("--telegram", type=int, help="Telegram user id")
    add.add_argument("--login", help="web login for the staff page")
    add.add_argument("--password-stdin", action="store_true", help="read the web password from standard input")
    commands.add_parser("list", help="list staff members")
    remove = commands.add_parser("remove", help="remove an identity")
    which = remove.add_mutually_exclusive_group(required=True)
    which.add_argument("--telegram", type=int)
    which.add_argument("--login")
    apikey = commands.add_parser("apikey", help="Open311 api keys: create one (printed once), list, revoke")
    action = apikey.add_mutually_exclusive_group(required=True)
    action.add_argument("--name", help="create a key for this client, e.g. the name of the app")
    action.add_argument("--list", action="store_true", help="list the keys (names, rights, dates; never the keys)")
    action.add_argument("--revoke", metavar="NAME", help="revoke the named client's key at once")
    apikey.add_argument("--read-all", action="store_true",
                        help="with --name: the key may read the free text of every request, not only its own")
    args = parser.parse_args(argv)

    config = settings.load()
    migrate.upgrade(config.database_url)
    directory = open_directory(config)
    if args.command == "apikey":
        return api_key_command(directory.engine, args)
    elif args.command == "add":
        if args.telegram is None and args.login is None:
            parser.error("add needs --telegram ID and/or --login NAME")
        password = None
        if args.login is not None:
            if not args.password_stdin:
                parser.error("--login needs --password-stdin (the password is read from standard input)")
            password = sys.stdin.readline().rstrip("\n")
            if len(password) < MIN_PASSWORD_LENGTH:
                parser.error(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
        directory.add_member(args.name, args.telegram, args.login, password)
        print(f"added: {args.name}")
    elif args.command == "list":
        for member in directory.all():
            print(f"{member.name}\ttelegram={member.telegram_id or '-'}\tlogin={member.login or '-'}")
    elif not directory.remove(args.telegram, args.login):
        print("no such staff identity", file=sys.stderr)
        return 1
    return 0


def api_key_command(engine: Engine, args: argparse.Namespace) -> int:
    """``apikey --name`` (with ``--read-all``), ``--list`` or ``--revoke``."""
    if args.list:
        for key in api_keys.all_keys(engine):
            state = f"revoked {key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "active"
            print(f"{key.name}\t{'read-all' if key.read_all else 'own requests'}\t"
                  f"created {key.created_at:%Y-%m-%d %H:%M}\t{state}")
    elif args.revoke is not None:
        if not api_keys.revoke(engine, args.revoke):
            print(f"no active api key named {args.revoke!r}", file=sys.stderr)
            return 1
        print(f"revoked: {args.revoke}")
    else:
        try:
            print(api_keys.create(engine, args.name, read_all=args.read_all))
        except IntegrityError:
            print(f"an api key named {args.name!r} exists already", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
