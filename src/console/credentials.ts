import { timingSafeEqual } from "hono/utils/buffer";

// Named API credentials (invariant 10): API_TOKENS holds `name:token` pairs, comma
// separated; API_TOKEN alone is the credential named `default`. A console sign-in names
// the credential it uses, and approvals given in that session record that name.
// (The approvals branch builds the same model for the bearer API; the lead reconciles.)

const NAME = /^[a-z0-9][a-z0-9_-]{0,39}$/;

export type Credential = { readonly name: string; readonly token: string };

export function credentials(env: Pick<Env, "API_TOKEN"> & { readonly API_TOKENS?: string }): Credential[] {
  const named = (env.API_TOKENS ?? "")
    .split(",")
    .map((pair) => pair.trim())
    .filter(Boolean)
    .flatMap((pair): Credential[] => {
      const colon = pair.indexOf(":");
      const name = pair.slice(0, colon).trim();
      const token = pair.slice(colon + 1).trim();
      return colon > 0 && NAME.test(name) && token.length >= 8 ? [{ name, token }] : [];
    });
  const fallback = env.API_TOKEN && !named.some((c) => c.name === "default") ? [{ name: "default", token: env.API_TOKEN }] : [];
  return [...named, ...fallback];
}

/** The credential with this name and token, compared in constant time; undefined otherwise. */
export async function checkCredential(all: readonly Credential[], name: string, token: string): Promise<Credential | undefined> {
  const found = all.find((c) => c.name === name);
  // Compare against something even for an unknown name, so timing does not tell names apart.
  const ok = await timingSafeEqual(token, found?.token ?? "\u0000no-such-credential");
  return ok && found ? found : undefined;
}
