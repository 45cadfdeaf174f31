import { createHash } from 'node:crypto';
import { type Metadata, ServerInterceptingCall, type ServerInterceptor, status } from '@grpc/grpc-js';
import { CLIENT_MESSAGES } from '../../common/auth-messages.js';
import { createJsonLogger, type Logger } from '../../common/logger.js';
import { extractBearer, DEFAULT_MAX_TOKEN_BYTES } from './bearer.js';
import { bindIdentity } from './call-identity.js';
import { AuthError, KeysUnavailableError } from './errors.js';
import type { WorkloadIdentity } from './identity.js';
import type { AuthorizeFn } from './policy/subject-allow-list.js';
import type { PublicMethods } from './policy/public-methods.js';
import type { TokenVerifier } from './verifier.js';

export interface AuthInterceptorOptions {
  verifier: TokenVerifier;
  /** Methods that need no token. Everything else is authenticated. */
  publicMethods: PublicMethods;
  /** Optional admission check after verification (e.g. subjectAllowList). */
  authorize?: AuthorizeFn;
  /** Default 16384. */
  maxTokenBytes?: number;
  /**
   * End streaming calls with UNAUTHENTICATED when the token that opened them expires, so a stream cannot
   * outlive its credentials; the client re-opens it with its fresh token. Default true.
   */
  endStreamsOnExpiry?: boolean;
  /** Clock in ms; for tests. */
  now?: () => number;
  /** Default: JSON lines on stderr. */
  logger?: Logger;
}

export { CLIENT_MESSAGES } from '../../common/auth-messages.js';

/**
 * grpc-js server interceptor: verifies the bearer token of every non-public call, then hands the handler a
 * typed identity (see getIdentity). The `authorization` value is removed before any handler runs, so
 * handlers cannot log or forward it. Fails closed: a call reaches its handler only after verification.
 */
export function createAuthInterceptor(options: AuthInterceptorOptions): ServerInterceptor {
  const { verifier, publicMethods, authorize } = options;
  const maxTokenBytes = options.maxTokenBytes ?? DEFAULT_MAX_TOKEN_BYTES;
  const logger = options.logger ?? createJsonLogger({ name: 'auth' });
  const endStreamsOnExpiry = options.endStreamsOnExpiry ?? true;
  const now = options.now ?? Date.now;

  return (methodDescriptor, call) => {
    const path = methodDescriptor.path;
    const streaming = methodDescriptor.requestStream || methodDescriptor.responseStream;
    let expiryTimer: NodeJS.Timeout | undefined;
    const stopExpiryTimer = (): void => clearTimeout(expiryTimer);

    // A stream outlives the token that opened it unless something ends it: this timer does.
    const endAtExpiry = (identity: WorkloadIdentity): void => {
      expiryTimer = setTimeout(() => {
        logger.info('stream ended: token expired', { method: path, subject: identity.subject, expired_at: identity.expiresAt.toISOString() });
        call.sendStatus({ code: status.UNAUTHENTICATED, details: CLIENT_MESSAGES.expired });
      }, Math.max(0, identity.expiresAt.getTime() - now()));
      expiryTimer.unref();
    };

    return new ServerInterceptingCall(call, {
      start: (next) => {
        next({
          onReceiveMetadata: (metadata, proceed) => {
            if (publicMethods.isPublic(path)) {
              metadata.remove('authorization');
              proceed(metadata);
              return;
            }
            const refuse = (error: unknown): void => {
              const rejection = describe(error);
              logger.warn('rpc rejected', { method: path, peer: call.getPeer(), code: status[rejection.code], ...rejection.log, ...fingerprint(metadata) });
              call.sendStatus({ code: rejection.code, details: rejection.message });
            };
            const admit = (identity: WorkloadIdentity): void => {
              try {
                // A verifier that answers with no identity admits no one.
                if (typeof identity !== 'object' || identity === null) throw new TypeError('the verifier answered without an identity');
                if (authorize !== undefined && !authorize(identity, path)) throw new DeniedError(identity);
                if (streaming && endStreamsOnExpiry) endAtExpiry(identity);
              } catch (error) {
                refuse(error);
                return;
              }
              metadata.remove('authorization');
              bindIdentity(metadata, identity);
              proceed(metadata);
            };
            let outcome: WorkloadIdentity | PromiseLike<WorkloadIdentity>;
            try {
              const token = extractBearer(metadata, maxTokenBytes);
              // A token verified before is admitted at once; waiting a turn would make grpc-js buffer the request.
              outcome = verifier.lookupOrVerify !== undefined ? verifier.lookupOrVerify(token) : (verifier.cached?.(token) ?? verifier.verify(token));
            } catch (error) {
              // Also a verifier of someone else's that throws instead of rejecting: refused, not a crash.
              refuse(error);
              return;
            }
            if (isPromise(outcome)) outcome.then(admit, refuse);
            else admit(outcome);
          },
          onCancel: stopExpiryTimer,
        });
      },
      sendStatus: (statusObject, next) => {
        stopExpiryTimer();
        next(statusObject);
      },
    });
  };
}

function isPromise(value: WorkloadIdentity | PromiseLike<WorkloadIdentity>): value is PromiseLike<WorkloadIdentity> {
  return typeof value === 'object' && value !== null && typeof (value as Partial<PromiseLike<WorkloadIdentity>>).then === 'function';
}

class DeniedError extends Error {
  constructor(readonly identity: WorkloadIdentity) {
    super('subject not in the allow-list');
  }
}

function describe(error: unknown): { code: status; message: string; log: Record<string, unknown> } {
  if (error instanceof AuthError) {
    const message = error.reason === 'missing_credentials' ? CLIENT_MESSAGES.missing : error.reason === 'expired' ? CLIENT_MESSAGES.expired : CLIENT_MESSAGES.invalid;
    return { code: status.UNAUTHENTICATED, message, log: { reason: error.reason, detail: error.detail } };
  }
  if (error instanceof DeniedError) {
    return { code: status.PERMISSION_DENIED, message: CLIENT_MESSAGES.denied, log: { reason: 'subject_not_allowed', subject: error.identity.subject } };
  }
  if (error instanceof KeysUnavailableError) {
    return { code: status.UNAVAILABLE, message: CLIENT_MESSAGES.unavailable, log: { reason: 'keys_unavailable', detail: error.message } };
  }
  // Fail closed on anything unexpected, without echoing it to the client.
  return { code: status.UNAUTHENTICATED, message: CLIENT_MESSAGES.invalid, log: { reason: 'internal_error', detail: String(error) } };
}

/** A short hash of the presented token, to correlate log lines without revealing the token. */
function fingerprint(metadata: Metadata): Record<string, string> {
  const value = metadata.get('authorization')[0];
  if (typeof value !== 'string' || value.length === 0) return {};
  return { token_sha256: createHash('sha256').update(value).digest('hex').slice(0, 16) };
}
