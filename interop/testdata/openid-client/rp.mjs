// A relying party on openid-client for Gatehouse's interoperability tests: it signs in with the authorization code
// flow and PKCE, shows the ID token's claims, refreshes its tokens and signs out through the end-session endpoint.
// Usage: node rp.mjs --port PORT --issuer URL --client-id ID --client-secret SECRET [--tamper-via URL]
// With --tamper-via, /login?tamper=1 sends the token request of that sign-in through URL, a proxy that changes the
// ID token; the RP verifies ID token signatures (non-repudiation checks) and must refuse it.
import http from 'node:http';
import { parseArgs } from 'node:util';
import * as client from 'openid-client';

const { values: opt } = parseArgs({
  options: {
    port: { type: 'string' }, issuer: { type: 'string' }, 'client-id': { type: 'string' },
    'client-secret': { type: 'string' }, 'tamper-via': { type: 'string' },
  },
});
const base = `http://127.0.0.1:${opt.port}`;
let tamperNext = false;
const config = await client.discovery(new URL(opt.issuer), opt['client-id'], undefined,
  client.ClientSecretBasic(opt['client-secret']), { execute: [client.allowInsecureRequests] });
client.enableNonRepudiationChecks(config);
config[client.customFetch] = (url, options) => {
  const u = new URL(url);
  if (tamperNext && opt['tamper-via'] && u.pathname.endsWith('/oidc/token')) {
    const via = new URL(opt['tamper-via']);
    u.protocol = via.protocol;
    u.host = via.host;
  }
  return fetch(u, options);
};

// The one browser session of the test.
let pending = null;
let tokens = null;

function send(res, status, body, headers = {}) {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers });
  res.end(body);
}

async function handle(req, res) {
  const url = new URL(req.url, base);
  switch (url.pathname) {
    case '/login': {
      tamperNext = url.searchParams.get('tamper') === '1';
      const verifier = client.randomPKCECodeVerifier();
      pending = { verifier, state: client.randomState(), nonce: client.randomNonce() };
      const to = client.buildAuthorizationUrl(config, {
        redirect_uri: `${base}/callback`, scope: 'openid email profile offline_access',
        code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
        state: pending.state, nonce: pending.nonce,
      });
      return send(res, 302, '', { Location: to.href });
    }
    case '/callback': {
      try {
        const got = await client.authorizationCodeGrant(config, url, {
          pkceCodeVerifier: pending.verifier, expectedState: pending.state, expectedNonce: pending.nonce,
        });
        tokens = got;
        const claims = got.claims();
        return send(res, 200, `signed in\nemail: ${claims.email}\ngroups: ${(claims.groups || []).join(', ')}\n` +
          `refresh token: ${got.refresh_token ? 'yes' : 'no'}\n`);
      } catch (err) {
        return send(res, 403, `refused: ${err.code || ''} ${err.message}; ${err.cause?.code || ''} ${err.cause?.message || ''}\n`);
      } finally {
        tamperNext = false;
      }
    }
    case '/refresh': {
      const old = tokens.refresh_token;
      const got = await client.refreshTokenGrant(config, old);
      let reuse = 'accepted';
      try {
        await client.refreshTokenGrant(config, old);
      } catch (err) {
        reuse = `refused: ${err.error || err.code}`;
      }
      tokens = got;
      return send(res, 200, `refreshed\nrotated: ${got.refresh_token && got.refresh_token !== old}\n` +
        `id token email: ${got.claims()?.email}\nold refresh token: ${reuse}\n`);
    }
    case '/logout': {
      const to = client.buildEndSessionUrl(config, {
        id_token_hint: tokens.id_token, post_logout_redirect_uri: `${base}/signed-out`, state: 'bye',
      });
      tokens = null;
      return send(res, 302, '', { Location: to.href });
    }
    case '/signed-out':
      return send(res, 200, `signed out, state ${url.searchParams.get('state')}\n`);
    case '/health':
      return send(res, 200, 'ok\n');
    default:
      return send(res, 404, 'not found\n');
  }
}

http.createServer((req, res) => {
  handle(req, res).catch((err) => send(res, 500, `error: ${err.code || ''} ${err.message}\n`));
}).listen(Number(opt.port), '127.0.0.1');
