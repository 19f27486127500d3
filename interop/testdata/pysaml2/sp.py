#!/usr/bin/python3
"""A small SAML service provider on pysaml2, for Gatehouse's interoperability tests.

It serves, on 127.0.0.1:PORT:
  /          the protected page: the signed-in user's NameID and attributes as JSON, or a redirect (with --post an
             auto-submitting form) that starts SP-initiated sign-in with an AuthnRequest, signed with --sign
  /force     starts SP-initiated sign-in with ForceAuthn, even when signed in; /passive with IsPassive; /mfa with a
             RequestedAuthnContext that asks for https://refeds.org/profile/mfa
  /acs       the assertion consumer service (HTTP-POST); unsolicited (IdP-initiated) Responses are allowed
  /metadata  this SP's metadata
  /logout    starts single logout (a LogoutRequest to the IdP)
  /slo       the single logout service (HTTP-Redirect): LogoutResponses and LogoutRequests from the IdP
Each verified sign-in is printed on standard output as one JSON line.
"""

import argparse
import http.cookies
import http.server
import json
import secrets
import sys
import urllib.parse

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.metadata import entity_descriptor
from saml2.saml import AuthnContextClassRef, name_id_from_string
from saml2.samlp import RequestedAuthnContext
from saml2.xmldsig import SIG_RSA_SHA256, DIGEST_SHA256


def build_client(args):
    base = "http://127.0.0.1:%d" % args.port
    conf = {
        "entityid": base + "/metadata",
        "xmlsec_binary": "/usr/bin/xmlsec1",
        "metadata": {"local": [args.idp_metadata]},
        "key_file": args.key,
        "cert_file": args.cert,
        "encryption_keypairs": [{"key_file": args.key, "cert_file": args.cert}],
        "allow_unknown_attributes": True,
        "service": {
            "sp": {
                "endpoints": {
                    "assertion_consumer_service": [(base + "/acs", BINDING_HTTP_POST)],
                    "single_logout_service": [(base + "/slo", BINDING_HTTP_REDIRECT)],
                },
                "allow_unsolicited": True,
                "authn_requests_signed": args.sign,
                "logout_requests_signed": True,
                "want_assertions_signed": True,
                "want_response_signed": False,
                "signing_algorithm": SIG_RSA_SHA256,
                "digest_algorithm": DIGEST_SHA256,
            }
        },
    }
    config = SPConfig()
    config.load(conf)
    return Saml2Client(config=config), config


class Handler(http.server.BaseHTTPRequestHandler):
    client = None
    config = None
    sign = False
    post = False
    cookie = "pysaml2"
    sessions = {}
    outstanding = {}

    def log_message(self, fmt, *args):
        sys.stderr.write("pysaml2-sp: " + (fmt % args) + "\n")

    def session(self):
        c = http.cookies.SimpleCookie(self.headers.get("Cookie", ""))
        if self.cookie in c:
            return self.sessions.get(c[self.cookie].value)
        return None

    def reply(self, status, body, ctype="text/plain; charset=utf-8", headers=()):
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def send_http_info(self, info):
        headers = dict(info["headers"])
        if "Location" in headers:
            self.reply(303, "", headers=[("Location", headers["Location"])])
        else:
            self.reply(200, info["data"], "text/html; charset=utf-8")

    def idp(self):
        return list(self.client.metadata.identity_providers())[0]

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        try:
            if url.path in ("/", "/force", "/passive", "/mfa"):
                s = self.session()
                if s and url.path == "/":
                    self.reply(200, json.dumps(s, indent=1), "application/json")
                    return
                kwargs = {}
                if url.path == "/force":
                    kwargs["force_authn"] = "true"
                if url.path == "/passive":
                    kwargs["is_passive"] = "true"
                if url.path == "/mfa":
                    kwargs["requested_authn_context"] = RequestedAuthnContext(
                        authn_context_class_ref=[AuthnContextClassRef(text="https://refeds.org/profile/mfa")],
                        comparison="exact")
                binding = BINDING_HTTP_REDIRECT
                if self.sign:
                    kwargs.update({"sign": True, "sigalg": SIG_RSA_SHA256, "digest_alg": DIGEST_SHA256})
                if self.post:
                    binding = BINDING_HTTP_POST
                reqid, info = self.client.prepare_for_authenticate(
                    entityid=self.idp(), relay_state="/", binding=binding, **kwargs)
                self.outstanding[reqid] = "/"
                self.send_http_info(info)
            elif url.path == "/metadata":
                self.reply(200, str(entity_descriptor(self.config)), "application/samlmetadata+xml")
            elif url.path == "/logout":
                s = self.session()
                if not s:
                    self.reply(200, "not signed in")
                    return
                result = self.client.global_logout(
                    name_id_from_string(s["name_id_xml"]), sign=True, sign_alg=SIG_RSA_SHA256, digest_alg=DIGEST_SHA256)
                for _, (binding, info) in result.items():
                    self.send_http_info(info)
                    return
                self.reply(200, "signed out locally")
            elif url.path == "/slo":
                if "SAMLResponse" in query:
                    resp = self.client.parse_logout_request_response(query["SAMLResponse"][0], BINDING_HTTP_REDIRECT)
                    self.end_session()
                    ok = resp is not None and resp.status_ok()
                    self.reply(200 if ok else 400, "signed out" if ok else "logout failed")
                elif "SAMLRequest" in query:
                    s = self.session()
                    name_id = name_id_from_string(s["name_id_xml"]) if s else None
                    info = self.client.handle_logout_request(
                        query["SAMLRequest"][0], name_id, BINDING_HTTP_REDIRECT,
                        relay_state=query.get("RelayState", [""])[0],
                        sign=True, sign_alg=SIG_RSA_SHA256, digest_alg=DIGEST_SHA256)
                    self.end_session()
                    self.send_http_info(info)
                else:
                    self.reply(400, "no SAML message")
            else:
                self.reply(404, "not found")
        except Exception as e:  # the test reads the refusal from the page
            self.reply(500, "error: %s: %s" % (type(e).__name__, e))

    def end_session(self):
        c = http.cookies.SimpleCookie(self.headers.get("Cookie", ""))
        if self.cookie in c:
            self.sessions.pop(c[self.cookie].value, None)

    def do_POST(self):
        url = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length", "0"))
        form = urllib.parse.parse_qs(self.rfile.read(length).decode("ascii"))
        if url.path != "/acs" or "SAMLResponse" not in form:
            self.reply(404, "not found")
            return
        try:
            resp = self.client.parse_authn_request_response(
                form["SAMLResponse"][0], BINDING_HTTP_POST, outstanding=self.outstanding)
        except Exception as e:
            self.reply(403, "refused: %s: %s" % (type(e).__name__, e))
            return
        if resp is None:
            self.reply(403, "refused: no valid response")
            return
        self.outstanding.pop(resp.in_response_to, None)
        session = {
            "name_id": resp.name_id.text,
            "name_id_format": resp.name_id.format,
            "name_id_xml": str(resp.name_id),
            "attributes": resp.get_identity(),
            "issuer": resp.issuer(),
            "encrypted": bool(resp.response.encrypted_assertion),
        }
        print(json.dumps({"signed_in": session["name_id"], "attributes": session["attributes"]}), flush=True)
        token = secrets.token_urlsafe(24)
        self.sessions[token] = session
        relay = form.get("RelayState", ["/"])[0] or "/"
        if not relay.startswith("/"):
            relay = "/"
        self.reply(303, "", headers=[("Location", relay), ("Set-Cookie", "%s=%s; Path=/; HttpOnly" % (self.cookie, token))])


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--idp-metadata", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--sign", action="store_true", help="sign AuthnRequests")
    p.add_argument("--post", action="store_true", help="send AuthnRequests by the HTTP-POST binding")
    args = p.parse_args()
    Handler.client, Handler.config = build_client(args)
    Handler.sign = args.sign
    Handler.post = args.post
    Handler.cookie = "pysaml2_%d" % args.port
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print("pysaml2 SP listening on 127.0.0.1:%d" % args.port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
