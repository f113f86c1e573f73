// A real OpenID Connect provider on loopback for tests/sso: the certified `oidc-provider`, with a
// login form of its own (username and password) and consent granted at once, as a company's
// provider does for its own applications.
//
// Environment: PORT (loopback port to listen on), REDIRECT_URI (the site's callback, registered
// for the one client), CLIENT_ID, CLIENT_SECRET, ACCOUNTS (a JSON file, read again at every sign-in
// so that a test can change an account's groups between two sign-ins):
//   {"olu": {"password": "...", "name": "Olu Observer", "email": "olu@example.test",
//            "groups": ["mvno-observers"], "amr": ["pwd"], "account_disabled": false}}
// It prints "ready ISSUER" on standard output once it listens.
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';

import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;

function accounts() {
  return JSON.parse(readFileSync(process.env.ACCOUNTS, 'utf8'));
}

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'test', use: 'sig', alg: 'RS256' };

const provider = new Provider(issuer, {
  clients: [{
    client_id: process.env.CLIENT_ID,
    client_secret: process.env.CLIENT_SECRET,
    redirect_uris: [process.env.REDIRECT_URI],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys: [signingKey] },
  cookies: { keys: ['test-cookie-key-not-secret'] },
  // What a company's provider sends about its people: groups need their own scope (as Okta's do).
  // amr (how the person signed in) in every ID token, as Entra ID and Okta send it; oidc-provider on
  // its own sends it only when the client asks for it by the claims parameter.
  claims: {
    acr: null,
    auth_time: null,
    sid: null,
    iss: null,
    openid: ['sub', 'amr'],
    profile: ['name', 'given_name', 'family_name', 'preferred_username', 'account_disabled'],
    email: ['email', 'email_verified'],
    groups: ['groups'],
  },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, id) {
    const account = accounts()[id];
    if (!account) return undefined;
    return {
      accountId: id,
      async claims() {
        const [given, ...rest] = account.name.split(' ');
        return {
          sub: id,
          name: account.name,
          given_name: given,
          family_name: rest.join(' '),
          preferred_username: id,
          email: account.email,
          email_verified: true,
          groups: account.groups,
          account_disabled: Boolean(account.account_disabled),
        };
      },
    };
  },
});

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function loginPage(res, uid, error = '') {
  res.statusCode = error ? 401 : 200;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.end(`<!doctype html><html lang="en"><head><title>Test provider: sign in</title></head><body>
<h1>Test provider</h1>${error ? `<p role="alert">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login">
<label for="username">Provider username</label><input id="username" name="username" autocomplete="off">
<label for="password">Provider password</label><input id="password" name="password" type="password">
<button type="submit">Continue</button></form></body></html>`);
}

async function body(req) {
  let text = '';
  for await (const chunk of req) text += chunk;
  return new URLSearchParams(text);
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  const { prompt, params, session } = details;
  if (action === 'login' && req.method === 'POST') {
    const form = await body(req);
    const account = accounts()[form.get('username')];
    if (!account || account.password !== form.get('password')) {
      loginPage(res, uid, 'Wrong username or password.');
      return;
    }
    const result = { login: { accountId: form.get('username'), amr: account.amr || ['pwd'] } };
    await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
    return;
  }
  if (prompt.name === 'login') {
    loginPage(res, uid);
    return;
  }
  // Consent: granted at once for what the client asked (a first-party application).
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
  if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

const callback = provider.callback();
const server = http.createServer((req, res) => {
  const match = new URL(req.url, issuer).pathname.match(/^\/interaction\/([^/]+)(?:\/(login))?$/);
  if (!match) {
    callback(req, res);
    return;
  }
  interaction(req, res, match[1], match[2]).catch((error) => {
    res.statusCode = 500;
    res.end(`interaction failed: ${error}`);
  });
});
server.listen(port, '127.0.0.1', () => console.log(`ready ${issuer}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
