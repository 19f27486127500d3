#!/usr/bin/env node
// A small SAML service provider on @node-saml/node-saml, for Gatehouse's interoperability tests.
//
// It serves, on 127.0.0.1:PORT:
//   /          the protected page: the signed-in user's NameID and attributes as JSON, or a redirect that starts
//              SP-initiated sign-in (an AuthnRequest by the HTTP-Redirect binding, signed with --sign)
//   /force     starts SP-initiated sign-in with ForceAuthn, even when signed in; /passive with IsPassive; /mfa with a
//              RequestedAuthnContext that asks for https://refeds.org/profile/mfa
//   /acs       the assertion consumer service (HTTP-POST); unsolicited (IdP-initiated) Responses are allowed
//   /metadata  this SP's metadata
//   /logout    starts single logout (a LogoutRequest to the IdP)
//   /slo       the single logout service (HTTP-Redirect and HTTP-POST): LogoutResponses and LogoutRequests from the IdP
// Each verified sign-in is printed on standard output as one JSON line.
//
// Usage: node sp.js --port N --idp-sso URL --idp-entity-id ID --idp-cert FILE --key FILE --cert FILE [--sign]
"use strict";

const crypto = require("crypto");
const fs = require("fs");
const http = require("http");
const { SAML } = require("@node-saml/node-saml");

function parseArgs(argv) {
  const args = { sign: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--sign") {
      args.sign = true;
    } else if (a.startsWith("--") && i + 1 < argv.length) {
      args[a.slice(2)] = argv[++i];
    } else {
      throw new Error("unknown argument " + a);
    }
  }
  for (const k of ["port", "idp-sso", "idp-entity-id", "idp-cert", "key", "cert"]) {
    if (!args[k]) throw new Error("missing --" + k);
  }
  return args;
}

const args = parseArgs(process.argv.slice(2));
const base = "http://127.0.0.1:" + args.port;
const key = fs.readFileSync(args.key, "utf8");
const cert = fs.readFileSync(args.cert, "utf8");
const options = {
  issuer: base + "/metadata",
  callbackUrl: base + "/acs",
  logoutCallbackUrl: base + "/slo",
  entryPoint: args["idp-sso"],
  logoutUrl: args["idp-sso"],
  idpIssuer: args["idp-entity-id"],
  // The file may hold several certificates (the active one and, during a rollover, the next one).
  idpCert: fs
    .readFileSync(args["idp-cert"], "utf8")
    .split(/(?<=-----END CERTIFICATE-----)/)
    .map((c) => c.trim())
    .filter((c) => c !== ""),
  audience: base + "/metadata",
  decryptionPvk: key,
  wantAssertionsSigned: true,
  wantAuthnResponseSigned: true,
  validateInResponseTo: "ifPresent",
  signatureAlgorithm: "sha256",
  digestAlgorithm: "sha256",
};
if (args.sign) {
  options.privateKey = key;
  options.publicCert = cert;
}
const saml = new SAML(options);
// /force starts sign-in with ForceAuthn; it shares the cache of request IDs the ACS checks InResponseTo against.
const samlForce = new SAML({ ...options, forceAuthn: true, cacheProvider: saml.cacheProvider });
// /passive starts sign-in with IsPassive.
const samlPassive = new SAML({ ...options, passive: true, cacheProvider: saml.cacheProvider });
// /mfa starts sign-in whose RequestedAuthnContext asks for the REFEDS MFA profile.
const samlMFA = new SAML({ ...options, authnContext: ["https://refeds.org/profile/mfa"], racComparison: "exact", cacheProvider: saml.cacheProvider });
const cookieName = "nodesaml_" + args.port;
const sessions = new Map();

function session(req) {
  for (const part of (req.headers.cookie || "").split(";")) {
    const [k, v] = part.trim().split("=");
    if (k === cookieName) return { token: v, profile: sessions.get(v) };
  }
  return { token: null, profile: null };
}

function reply(res, status, body, headers = {}) {
  res.writeHead(status, Object.assign({ "Content-Type": "text/plain; charset=utf-8" }, headers));
  res.end(body);
}

function readForm(req) {
  return new Promise((resolve, reject) => {
    let data = "";
    req.on("data", (chunk) => {
      data += chunk;
      if (data.length > 1 << 20) reject(new Error("form too large"));
    });
    req.on("end", () => resolve(Object.fromEntries(new URLSearchParams(data))));
    req.on("error", reject);
  });
}

async function handle(req, res) {
  const url = new URL(req.url, base);
  if (req.method === "GET" && url.pathname === "/") {
    const { profile } = session(req);
    if (profile) return reply(res, 200, JSON.stringify(profile, null, 1), { "Content-Type": "application/json" });
    const location = await saml.getAuthorizeUrlAsync("/", undefined, {});
    return reply(res, 303, "", { Location: location });
  }
  if (req.method === "GET" && (url.pathname === "/force" || url.pathname === "/passive" || url.pathname === "/mfa")) {
    const s = { "/force": samlForce, "/passive": samlPassive, "/mfa": samlMFA }[url.pathname];
    const location = await s.getAuthorizeUrlAsync("/", undefined, {});
    return reply(res, 303, "", { Location: location });
  }
  if (req.method === "GET" && url.pathname === "/metadata") {
    const md = saml.generateServiceProviderMetadata(cert, args.sign ? cert : null);
    return reply(res, 200, md, { "Content-Type": "application/samlmetadata+xml" });
  }
  if (req.method === "POST" && url.pathname === "/acs") {
    const form = await readForm(req);
    let result;
    try {
      result = await saml.validatePostResponseAsync(form);
    } catch (e) {
      return reply(res, 403, "refused: " + e.message);
    }
    const p = result.profile;
    const attrs = {};
    for (const [k, v] of Object.entries(p)) {
      if (typeof v === "string" || Array.isArray(v)) attrs[k] = v;
    }
    const s = { nameID: p.nameID, nameIDFormat: p.nameIDFormat, sessionIndex: p.sessionIndex, issuer: p.issuer, attributes: attrs };
    console.log(JSON.stringify({ signedIn: p.nameID, attributes: attrs }));
    const token = crypto.randomBytes(24).toString("base64url");
    sessions.set(token, s);
    let relay = form.RelayState || "/";
    if (!relay.startsWith("/")) relay = "/";
    return reply(res, 303, "", { Location: relay, "Set-Cookie": cookieName + "=" + token + "; Path=/; HttpOnly" });
  }
  if (req.method === "GET" && url.pathname === "/logout") {
    const { token, profile } = session(req);
    if (!profile) return reply(res, 200, "not signed in");
    sessions.delete(token);
    const location = await saml.getLogoutUrlAsync(
      { issuer: profile.issuer, nameID: profile.nameID, nameIDFormat: profile.nameIDFormat, sessionIndex: profile.sessionIndex },
      "/",
      {},
    );
    return reply(res, 303, "", { Location: location });
  }
  if (url.pathname === "/slo" && (req.method === "GET" || req.method === "POST")) {
    // The IdP's LogoutRequests and LogoutResponses, by the HTTP-Redirect or the HTTP-POST binding.
    let query, result;
    try {
      if (req.method === "GET") {
        query = Object.fromEntries(url.searchParams);
        result = await saml.validateRedirectAsync(query, url.search.slice(1));
      } else {
        query = await readForm(req);
        result = query.SAMLRequest
          ? await saml.validatePostRequestAsync(query)
          : await saml.validatePostResponseAsync(query);
      }
    } catch (e) {
      return reply(res, 400, "logout refused: " + e.message);
    }
    const { token } = session(req);
    if (token) sessions.delete(token);
    if (query.SAMLRequest) {
      const location = await saml.getLogoutResponseUrlAsync(result.profile, query.RelayState || "", {}, true);
      return reply(res, 303, "", { Location: location });
    }
    return reply(res, 200, result.loggedOut ? "signed out" : "logout failed");
  }
  return reply(res, 404, "not found");
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((e) => reply(res, 500, "error: " + e.message));
});
server.listen(Number(args.port), "127.0.0.1", () => {
  console.log("node-saml SP listening on " + base);
});
