import { timingSafeEqual } from "hono/utils/buffer";
import { ApiError } from "./errors";

// Named API credentials (invariant 10): every bearer token has a name, and the name is
// the principal that the log records for an answer given with it.
//   API_TOKEN  = <token>                             -> the credential "default"
//   API_TOKENS = <name>:<token>, <name>:<token> ...  (comma or newline separated)

export type Credential = { readonly name: string; readonly token: string };

const NAME = /^[a-z0-9][a-z0-9_.-]{0,63}$/;
/** Shorter tokens are guessable; refuse them at setup rather than accept them silently. */
export const MIN_TOKEN_CHARS = 8;

/** Parses the configured credentials; throws (a 503 at the caller) on a malformed or duplicate entry. */
export function parseCredentials(env: { API_TOKEN?: string; API_TOKENS?: string }): Credential[] {
  const credentials: Credential[] = [];
  if (env.API_TOKEN) credentials.push({ name: "default", token: env.API_TOKEN });
  for (const entry of (env.API_TOKENS ?? "").split(/[,\n]/)) {
    const trimmed = entry.trim();
    if (!trimmed) continue;
    const colon = trimmed.indexOf(":");
    const name = colon > 0 ? trimmed.slice(0, colon).trim() : "";
    const token = colon > 0 ? trimmed.slice(colon + 1).trim() : "";
    if (!NAME.test(name)) throw new Error(`API_TOKENS: "${name.slice(0, 40) || trimmed.slice(0, 8) + "..."}" is not a credential name (lowercase letters, digits, _ . -).`);
    if (token.length < MIN_TOKEN_CHARS) throw new Error(`API_TOKENS: the token of "${name}" is shorter than ${MIN_TOKEN_CHARS} characters.`);
    if (credentials.some((c) => c.name === name)) throw new Error(`API_TOKENS: credential "${name}" is defined twice.`);
    credentials.push({ name, token });
  }
  return credentials;
}

/**
 * The credential a bearer token belongs to. Every credential is compared (constant time
 * each, no early exit), so the time taken does not tell which one, if any, was close.
 */
export async function credentialFor(credentials: readonly Credential[], token: string): Promise<Credential | undefined> {
  let found: Credential | undefined;
  for (const credential of credentials) {
    if ((await timingSafeEqual(token, credential.token)) && !found) found = credential;
  }
  return found;
}

/** The configured credentials, or 503 server_misconfigured (for the API and the console alike). */
export function configuredCredentials(env: { API_TOKEN?: string; API_TOKENS?: string }): Credential[] {
  let credentials: Credential[];
  try {
    credentials = parseCredentials(env);
  } catch (error) {
    throw new ApiError(503, "server_misconfigured", error instanceof Error ? error.message : String(error));
  }
  if (credentials.length === 0) {
    throw new ApiError(503, "server_misconfigured", "Neither API_TOKEN nor API_TOKENS is set on this Worker (see .dev.vars.example).");
  }
  return credentials;
}
