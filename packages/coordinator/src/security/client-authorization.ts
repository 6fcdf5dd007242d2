// The one decision behind the gRPC interceptor and the REST hook: may this
// caller (a bearer token, a cluster-CA certificate) do what the call needs?
import type { Logger } from '@weir/protocol';
import { roleAllows, type Requirement } from './roles.ts';
import type { TokenStore } from './token-store.ts';

/** What the caller brought. */
export interface Caller {
  /** The `authorization` header or metadata, if any. */
  authorization: string | undefined;
  /** Whether it presented a certificate issued by the cluster CA (a coordinator, a worker, the cluster's tools). */
  member: boolean;
  /** For the log: the peer's address. */
  peer: string;
}

/** The verdict: allowed, or refused with a reason for the caller. */
export type Verdict = { allowed: true } | { allowed: false; reason: 'unauthenticated' | 'denied'; message: string };

const ALLOWED: Verdict = { allowed: true };

/** Decides calls of the client API; refusals are logged. */
export class ClientAuthorization {
  private readonly tokens: TokenStore | null;
  private readonly logger: Logger;

  /** `tokens` null: no tokens file, every client call is allowed (members' methods still need a certificate). */
  constructor(tokens: TokenStore | null, logger: Logger) {
    this.tokens = tokens;
    this.logger = logger;
  }

  /** Whether the client API asks for tokens. */
  get enabled(): boolean {
    return this.tokens !== null;
  }

  /** Decides one call of `what` (a method or route, for the log and the message). */
  decide(needed: Requirement, caller: Caller, what: string): Verdict {
    if (needed === 'open' || caller.member) return ALLOWED;
    if (needed === 'member') {
      return this.refuse('denied', `${what} is for the cluster's own processes: connect with a certificate issued by the cluster CA (security.internalCert)`, caller, what);
    }
    if (!this.tokens) return ALLOWED;
    const match = /^Bearer\s+(\S+)$/i.exec(caller.authorization ?? '');
    if (!match) return this.refuse('unauthenticated', `${what} needs a bearer token: pass --token (or WEIR_TOKEN) with a token of role ${needed} or above`, caller, what);
    const identity = this.tokens.identify(match[1]!);
    if (!identity) return this.refuse('unauthenticated', `the token is not known to this coordinator: check --token (or WEIR_TOKEN) against the tokens file`, caller, what);
    if (!roleAllows(identity.role, needed)) {
      return this.refuse('denied', `${what} needs role ${needed}, and the token of '${identity.name}' has role ${identity.role}: use a token of role ${needed} or above`, caller, what, identity.name);
    }
    return ALLOWED;
  }

  private refuse(reason: 'unauthenticated' | 'denied', message: string, caller: Caller, what: string, name?: string): Verdict {
    this.logger.warn({ peer: caller.peer, call: what, reason, ...(name ? { tokenName: name } : {}) }, 'client API call refused');
    return { allowed: false, reason, message };
  }
}
