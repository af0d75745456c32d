import { JWT_VERIFIER_OPTION_NAMES } from './create-jwt-verifier.js';
import { DPOP_OPTION_NAMES } from './dpop/dpop-options.js';
import { McpAuthConfigError } from './errors.js';
import { assertKnownOptions } from './known-options.js';
import { checkLogger } from './logger.js';
import {
  check,
  checkChoice,
  checkFunction,
  checkInteger,
  checkList,
  isRecord,
  requireString,
} from './option-checks.js';
import { RENAMED_JWT_OPTIONS } from './resolve-jwt-options.js';
import { isScopeToken } from './scope-token.js';
import { isStateStore } from './state-store.js';
import { assertOptionNames, type RenamedOptions } from './verifier-options.js';

/**
 * `createMcpAuth`'s options checked before anything is derived from them: every name known
 * (with a "did you mean" for a slip, or what replaced a former name), every value of the right
 * type, each error naming the option.
 */

/** An `http:` or `https:` URL with a real origin (never the opaque `null` origin). */
function isHttpOrigin(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin !== 'null';
}

const isString = (v: unknown) => typeof v === 'string';
const CORS_OPTION_NAMES = new Set(['allowedOrigins', 'maxAgeSeconds']);
const SESSION_BINDING_OPTION_NAMES = new Set([
  'maxSessions',
  'maxSessionsPerSubject',
  'onSubjectLimit',
  'onSessionEnd',
  'ttlMs',
]);

/**
 * Nested option objects whose names are checked before their values, for a "did you mean" or,
 * for a former name, what replaced it.
 */
const NESTED_OPTION_NAMES: Readonly<
  Record<string, { known: ReadonlySet<string>; renamed?: RenamedOptions }>
> = {
  cors: {
    known: CORS_OPTION_NAMES,
    renamed: { maxAge: 'renamed "maxAgeSeconds", in seconds' },
  },
  sessionBinding: { known: SESSION_BINDING_OPTION_NAMES },
  dpop: { known: DPOP_OPTION_NAMES },
  // `jwt` takes the JWT verifier's options except the two `createMcpAuth` sets itself.
  jwt: {
    known: new Set(
      [...JWT_VERIFIER_OPTION_NAMES].filter((name) => name !== 'issuer' && name !== 'resource'),
    ),
    renamed: RENAMED_JWT_OPTIONS,
  },
};
const TOP_LEVEL_OPTION_NAMES: ReadonlySet<string> = new Set([
  'resource',
  'issuer',
  'verifier',
  'jwt',
  'authorizationServers',
  'policy', // compilePolicy checks it, naming the entry
  'scopesSupported',
  'resourceName',
  'metadata',
  'challengeScopes',
  'maxTokenLength',
  'cors',
  'sessionBinding',
  'store',
  'onDecision',
  'logger',
  'dpop',
]);
/** Unknown names first, top level and nested, each with the closest known name as a hint. */
export function assertKnownNames(options: object): void {
  assertKnownOptions(options, TOP_LEVEL_OPTION_NAMES);
  for (const [name, { known, renamed }] of Object.entries(NESTED_OPTION_NAMES)) {
    const value = (options as Record<string, unknown>)[name];
    if (isRecord(value)) assertOptionNames(value, known, renamed, `${name}.`);
  }
}

function checkCors(cors: unknown): void {
  check(cors, 'cors', isRecord, 'must be an object');
  if (cors === undefined) return;
  const { allowedOrigins, maxAgeSeconds } = cors as Record<string, unknown>;
  if (allowedOrigins !== '*') {
    checkList(
      allowedOrigins,
      'cors.allowedOrigins',
      (o) => o === 'loopback' || (typeof o === 'string' && isHttpOrigin(o)),
      {
        list: "must be '*' or a list of http(s) origins (https://app.example) and 'loopback'",
        item: "must be '*' or a list of http(s) origins (https://app.example) and 'loopback'",
      },
    );
  }
  checkInteger(maxAgeSeconds, 'cors.maxAgeSeconds', 0);
}

function checkSessionBinding(binding: unknown): void {
  if (binding === undefined || typeof binding === 'boolean') return;
  if (!isRecord(binding)) {
    throw new McpAuthConfigError('sessionBinding', 'must be true, false or an object');
  }
  checkInteger(binding.maxSessions, 'sessionBinding.maxSessions', 1);
  checkInteger(binding.maxSessionsPerSubject, 'sessionBinding.maxSessionsPerSubject', 1);
  checkChoice(binding.onSubjectLimit, 'sessionBinding.onSubjectLimit', [
    'refuse',
    'replace-oldest',
  ]);
  checkFunction(binding.onSessionEnd, 'sessionBinding.onSessionEnd');
  checkInteger(binding.ttlMs, 'sessionBinding.ttlMs', 1);
}

/** The type of every option value, in the order the options are documented. */
export function checkOptionValues(o: Record<string, unknown>): void {
  requireString(o.resource, 'resource', 'must be a URL string');
  check(o.issuer, 'issuer', isString, 'must be a URL string');
  check(
    o.verifier,
    'verifier',
    (v) => isRecord(v) && typeof v.verifyAccessToken === 'function',
    'must be an object with a verifyAccessToken(token) method',
  );
  check(o.jwt, 'jwt', isRecord, 'must be an object');
  checkList(o.authorizationServers, 'authorizationServers', isString, {
    list: 'must be a list of authorization server URLs',
    item: 'must be a URL string',
    nonEmpty: 'must list at least one authorization server',
  });
  checkList(o.scopesSupported, 'scopesSupported', isScopeToken, {
    list: 'must be a list of scopes',
    item: 'must contain valid scope tokens',
  });
  check(o.resourceName, 'resourceName', isString, 'must be a string');
  check(o.metadata, 'metadata', isRecord, 'must be an object of RFC 9728 fields');
  check(
    (o.metadata as Record<string, unknown> | undefined)?.rootResource,
    'metadata.rootResource',
    isString,
    'must be a URL string',
  );
  checkChoice(o.challengeScopes, 'challengeScopes', ['required-and-granted', 'required']);
  checkInteger(o.maxTokenLength, 'maxTokenLength', 1, 1_048_576);
  checkCors(o.cors);
  checkSessionBinding(o.sessionBinding);
  check(
    o.store,
    'store',
    isStateStore,
    'must be a StateStore: an object with setIfAbsent, get, touch and delete methods (createMemoryStore(), or a shared store such as @org/mcp-auth-redis)',
  );
  checkFunction(o.onDecision, 'onDecision');
  checkLogger(o.logger);
}
