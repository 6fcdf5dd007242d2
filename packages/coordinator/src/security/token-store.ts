// Bearer tokens of the client API, from a tokens file (a Kubernetes Secret):
// one `<role> <name> <token>` per line. Only SHA-256 digests are kept, and a
// presented token is compared with every entry in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ROLES, type Role } from './roles.ts';

/** Who a token belongs to. */
export interface TokenIdentity {
  /** The name the file gives it (logged; never the token). */
  name: string;
  role: Role;
}

interface TokenEntry extends TokenIdentity {
  digest: Buffer;
}

const digestOf = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

/** Tokens shorter than this are refused when the file is read: they could be guessed. */
export const MIN_TOKEN_LENGTH = 16;

/** Parses a tokens file's text; `source` names it in errors. */
export function parseTokens(text: string, source: string): TokenStore {
  const entries: TokenEntry[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const where = `${source} line ${index + 1}`;
    const words = line.split(/\s+/);
    if (words.length !== 3) throw new Error(`${where}: expected '<role> <name> <token>' (role: ${ROLES.join(', ')}), got ${words.length} word(s)`);
    const [role, name, token] = words as [string, string, string];
    if (!(ROLES as readonly string[]).includes(role)) throw new Error(`${where}: unknown role '${role}': use one of ${ROLES.join(', ')}`);
    if (token.length < MIN_TOKEN_LENGTH) throw new Error(`${where}: the token of '${name}' is shorter than ${MIN_TOKEN_LENGTH} characters: use a random one (openssl rand -hex 32)`);
    entries.push({ name, role: role as Role, digest: digestOf(token) });
  });
  if (entries.length === 0) throw new Error(`${source} holds no token: add lines '<role> <name> <token>', or leave the tokens file unset`);
  return new TokenStore(entries);
}

/** Reads a tokens file (`security.tokensFile`). */
export function loadTokens(path: string): TokenStore {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read the tokens file ${path} (security.tokensFile): ${(error as Error).message}`, { cause: error });
  }
  return parseTokens(text, path);
}

/** The known tokens: finds who presented one. */
export class TokenStore {
  private readonly entries: readonly TokenEntry[];

  constructor(entries: readonly TokenEntry[]) {
    this.entries = entries;
  }

  /** How many tokens it holds. */
  get size(): number {
    return this.entries.length;
  }

  /** The identity of `token`, or undefined. Every entry is compared (constant time per entry), whichever matches. */
  identify(token: string): TokenIdentity | undefined {
    const digest = digestOf(token);
    let found: TokenEntry | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(entry.digest, digest) && !found) found = entry;
    }
    return found ? { name: found.name, role: found.role } : undefined;
  }
}
