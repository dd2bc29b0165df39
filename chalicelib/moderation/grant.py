"""The operator's command that makes an account a moderator (or no longer one):

    python -m chalicelib.moderation.grant alice            # against the configured stack
    python -m chalicelib.moderation.grant --revoke alice

It talks to whatever the settings name: the local cloud (``make moderator USER=alice`` sets
its endpoint), LocalStack, or AWS with the operator's credentials and ``STAGE``. There is no
API route for this on purpose: a stolen token must never be able to make a moderator.
"""

from __future__ import annotations

import argparse
import sys

from chalicelib.core.errors import GlimpseError
from chalicelib.moderation import moderators


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.moderation.grant")
    parser.add_argument("username")
    parser.add_argument("--revoke", action="store_true", help="take the role away")
    args = parser.parse_args(argv)
    try:
        user = moderators.set_role(args.username, granted=not args.revoke)
    except GlimpseError as error:
        print(f"{args.username}: {error}", file=sys.stderr)
        return 1
    state = "no longer a moderator" if args.revoke else "a moderator"
    print(f"{user.username} ({user.user_id}) is now {state}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
