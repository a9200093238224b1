import { timingSafeEqual } from "hono/utils/buffer";
import { configuredCredentials, type Credential } from "../triggers/http/credentials";

// The console signs in with the API's named credentials (invariant 10), parsed by the
// API's own rules: a credential name works in both or in neither, and a malformed
// API_TOKENS is 503 server_misconfigured here as it is on /v1.

export type { Credential };
export const credentials = configuredCredentials;

/** The credential with this name and token, compared in constant time; undefined otherwise. */
export async function checkCredential(all: readonly Credential[], name: string, token: string): Promise<Credential | undefined> {
  const found = all.find((c) => c.name === name);
  // Compare against something even for an unknown name, so timing does not tell names apart.
  const ok = await timingSafeEqual(token, found?.token ?? "\u0000no-such-credential");
  return ok && found ? found : undefined;
}
