// A real OpenID provider for the login tests (testkit/oidc_provider.py starts it): the certified oidc-provider
// with one confidential client, PKCE required, a `groups` claim, and accounts named after the policy's people.
// Its own development login form (devInteractions) takes any login: the login typed is the account's `sub`.
//
//   node provider.js <port> <redirect uri> <client id> <client secret>
import Provider from 'oidc-provider';

const [port, redirectUri, clientId, clientSecret] = process.argv.slice(2);
if (!port || !redirectUri || !clientId || !clientSecret) {
  console.error('usage: node provider.js <port> <redirect uri> <client id> <client secret>');
  process.exit(2);
}

// sub → claims. A login not listed here is an account of someone the policy does not know.
const ACCOUNTS = {
  'minsu.kim': { email: 'minsu@game.example', groups: ['game-sre'] },
  'jiyoung.lee': { email: 'jiyoung@game.example', groups: ['game-sre', 'game-sre-admins'] },
  'hyunwoo.park': { email: 'hyunwoo@game.example', groups: [] },
};

const configuration = {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [redirectUri],
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  pkce: { required: () => true },
  scopes: ['openid', 'email', 'groups'],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], groups: ['groups'] },
  conformIdTokenClaims: false, // the claims of the granted scopes go into the ID token, which the gateway reads
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ['incidentflow-test-provider-cookie-key'] },
  async findAccount(ctx, sub) {
    const known = ACCOUNTS[sub];
    const email = known ? known.email : (sub.includes('@') ? sub : `${sub}@elsewhere.example`);
    return {
      accountId: sub,
      async claims() {
        return { sub, email, email_verified: true, groups: known ? known.groups : [] };
      },
    };
  },
  // First-party client: the login is the consent, so the tests post one form, not two.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) {
      return ctx.oidc.provider.Grant.find(grantId);
    }
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email groups');
    await grant.save();
    return grant;
  },
};

const provider = new Provider(`http://127.0.0.1:${port}`, configuration);
provider.listen(Number(port), '127.0.0.1', () => {
  console.log(`oidc-provider listening on http://127.0.0.1:${port}`);
});
