import { createRemoteJWKSet, customFetch, jwtVerify, type JWTPayload } from "jose";

// Cloudflare Access in front of the Worker: Access signs every request it lets through
// with `Cf-Access-Jwt-Assertion` (RS256, keys at https://<team>/cdn-cgi/access/certs).
// We verify signature, issuer, audience and expiry with jose; the identity is the
// user's email, or a service token's common_name.

export type AccessConfig = { readonly teamDomain: string; readonly audience: string; readonly jwksUrl: string };

export function accessConfig(env: { ACCESS_TEAM_DOMAIN?: string; ACCESS_AUD?: string; ACCESS_JWKS_URL?: string }): AccessConfig | undefined {
  const team = env.ACCESS_TEAM_DOMAIN?.trim().replace(/^https?:\/\//, "").replace(/\/+$/, "");
  const audience = env.ACCESS_AUD?.trim();
  if (!team || !audience) return undefined;
  return { teamDomain: team, audience, jwksUrl: env.ACCESS_JWKS_URL?.trim() || `https://${team}/cdn-cgi/access/certs` };
}

type KeySet = ReturnType<typeof createRemoteJWKSet>;
const keySets = new Map<string, KeySet>();

/** One cached key set per JWKS URL (jose caches and refreshes the keys itself). */
function keySet(url: string, fetcher: typeof fetch): KeySet {
  let set = keySets.get(url);
  if (!set) {
    set = createRemoteJWKSet(new URL(url), { [customFetch]: (input: string, init: RequestInit) => fetcher(input, init) });
    keySets.set(url, set);
  }
  return set;
}

export type AccessIdentity = { readonly id: string };

/** The verified identity in an Access JWT, or undefined when it does not verify. */
export async function verifyAccessJwt(config: AccessConfig, jwt: string, fetcher: typeof fetch): Promise<AccessIdentity | undefined> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(jwt, keySet(config.jwksUrl, fetcher), {
      issuer: `https://${config.teamDomain}`,
      audience: config.audience,
      algorithms: ["RS256", "ES256"],
    }));
  } catch {
    return undefined;
  }
  const email = typeof payload["email"] === "string" ? payload["email"].toLowerCase() : undefined;
  const service = typeof payload["common_name"] === "string" ? payload["common_name"] : undefined;
  const id = email ?? service;
  return id ? { id: id.slice(0, 320) } : undefined;
}
