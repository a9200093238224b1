import { exportJWK, generateKeyPair, SignJWT, type CryptoKey as JoseKey } from "jose";

/**
 * TEST ONLY: a Cloudflare Access team of our own. A locally generated RS256 key set, its JWKS
 * served by an injected fetch (no network; `fetched` shows what was asked for) or, in the
 * e2e tests, by a Node server from `jwk`, and
 * assertions signed like Access signs them, or broken on purpose.
 */
export async function accessTeam(team: string, audience: string) {
  const [pair, other] = [await generateKeyPair("RS256"), await generateKeyPair("RS256")];
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "RS256", use: "sig" };
  const fetched: string[] = [];
  const jwks: typeof fetch = async (input) => {
    fetched.push(input instanceof Request ? input.url : String(input));
    return Response.json({ keys: [jwk] });
  };
  const assertion = (claims: Record<string, unknown>, options: { key?: "team" | "stranger"; aud?: string; iss?: string; exp?: string | number } = {}) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: "RS256", kid: "k1" })
      .setIssuer(options.iss ?? `https://${team}`)
      .setAudience(options.aud ?? audience)
      .setIssuedAt()
      .setExpirationTime(options.exp ?? "5m")
      .sign((options.key === "stranger" ? other : pair).privateKey as JoseKey);
  return { vars: { ACCESS_TEAM_DOMAIN: team, ACCESS_AUD: audience }, jwk, jwks, fetched, assertion };
}
