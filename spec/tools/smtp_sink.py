#!/usr/bin/env python3
"""A real SMTP server for the alert e-mail tests (aiosmtpd, pinned in requirements.txt).

Listens on 127.0.0.1 at a free port and prints "listening on 127.0.0.1:PORT" once ready. Every message it accepts
is appended to --output as one JSON line: envelope sender, recipients, the raw message, whether the session used
TLS and which login authenticated. Options:
  --tls-dir DIR        make a self-signed certificate for 127.0.0.1 in DIR (cert.pem, key.pem), offer STARTTLS and
                       require it before MAIL
  --login USER:PASS    require AUTH (PLAIN or LOGIN) with these credentials
"""
import argparse
import asyncio
import datetime
import ipaddress
import json
import os
import ssl

from aiosmtpd.smtp import SMTP, AuthResult


class Recorder:
    def __init__(self, output):
        self.output = output

    async def handle_DATA(self, server, session, envelope):
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "data": envelope.content.decode("utf-8", errors="replace"),
            "tls": session.ssl is not None,
            "login": session.auth_data.login.decode() if session.auth_data is not None else None,
        }
        with open(self.output, "a", encoding="utf-8") as file:
            file.write(json.dumps(record) + "\n")
        print("received message", flush=True)
        return "250 Message accepted for delivery"


def make_certificate(directory):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    with open(cert_path, "wb") as file:
        file.write(certificate.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as file:
        file.write(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    return context


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--output", required=True)
    parser.add_argument("--tls-dir")
    parser.add_argument("--login")
    arguments = parser.parse_args()
    tls_context = make_certificate(arguments.tls_dir) if arguments.tls_dir else None
    expected = tuple(arguments.login.split(":", 1)) if arguments.login else None

    def authenticator(server, session, envelope, mechanism, auth_data):
        login, password = auth_data.login.decode(), auth_data.password.decode()
        success = expected is not None and (login, password) == expected
        # handled=False on failure: aiosmtpd then answers 535 itself (its default, handled=True, means the
        # authenticator already replied, and the client would wait for a reply that never comes).
        return AuthResult(success=success, handled=success, auth_data=auth_data if success else None)

    def factory():
        return SMTP(
            Recorder(arguments.output), hostname="pb-test-smtp", tls_context=tls_context,
            require_starttls=tls_context is not None, auth_required=expected is not None,
            auth_require_tls=tls_context is not None, authenticator=authenticator if expected else None)

    loop = asyncio.get_running_loop()
    server = await loop.create_server(factory, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    print(f"listening on 127.0.0.1:{port}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
