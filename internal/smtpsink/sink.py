"""An SMTP server for Gatehouse's tests that keeps every message it receives, built on aiosmtpd (Debian's
python3-aiosmtpd).

It listens on 127.0.0.1 on a port the system chooses and prints "listening 127.0.0.1:PORT" once it accepts
connections. Each message is written to the output directory as NNNNNN.json (written under a temporary name,
then renamed, so a reader never sees half a file): the envelope sender and recipients, the message as received,
the user that authenticated (empty when none) and whether the connection was encrypted.

  sink.py --out DIR [--tls none|starttls|implicit --cert FILE --key FILE] [--user U --password P]

With starttls the server offers STARTTLS and requires it before MAIL; with implicit the connection is TLS from its
first byte (SMTPS). With --user, AUTH (PLAIN or LOGIN) is required before MAIL.
"""

import argparse
import asyncio
import json
import os
import ssl

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Keeper:
    """Writes every message to the output directory."""

    def __init__(self, out):
        self.out = out
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        ssl_object = server.transport.get_extra_info("ssl_object") if server.transport else None
        user = ""
        if isinstance(session.auth_data, LoginPassword):
            user = session.auth_data.login.decode("utf-8", "replace")
        record = {
            "mailFrom": envelope.mail_from,
            "rcptTos": envelope.rcpt_tos,
            "data": envelope.content.decode("utf-8", "replace"),
            "authUser": user,
            "tls": ssl_object is not None,
        }
        name = "%06d.json" % self.count
        tmp = os.path.join(self.out, "." + name)
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(record, f)
        os.rename(tmp, os.path.join(self.out, name))
        return "250 Message accepted for delivery"


def authenticator(user, password):
    """Accepts exactly one user name and password."""

    def check(server, session, envelope, mechanism, auth_data):
        if (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user
                and auth_data.password.decode() == password):
            return AuthResult(success=True, auth_data=auth_data)
        return AuthResult(success=False, handled=False)

    return check


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True)
    p.add_argument("--tls", choices=["none", "starttls", "implicit"], default="none")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--user")
    p.add_argument("--password")
    args = p.parse_args()

    context = None
    if args.tls != "none":
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.cert, args.key)
    loop = asyncio.get_running_loop()
    keeper = Keeper(args.out)

    def protocol():
        options = {"hostname": "sink.test", "loop": loop}
        if args.tls == "starttls":
            options.update(tls_context=context, require_starttls=True)
        if args.user:
            # With implicit TLS aiosmtpd does not know the connection is encrypted.
            options.update(authenticator=authenticator(args.user, args.password), auth_required=True,
                           auth_require_tls=args.tls == "starttls")
        return SMTP(keeper, **options)

    server = await loop.create_server(protocol, host="127.0.0.1", port=0,
                                      ssl=context if args.tls == "implicit" else None)
    print("listening 127.0.0.1:%d" % server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
