/** One challenge of a `WWW-Authenticate` field (RFC 9110 §11.6.1). */
export interface AuthChallenge {
  /** The auth-scheme as sent (compare case-insensitively). */
  scheme: string;
  /** Auth-params by lower-cased name; quoted-string values unescaped. */
  params: Record<string, string>;
  /** Names of the params whose value was a quoted-string. */
  quoted: string[];
  /** Names of the params whose quoted value held a quoted-pair (`\x`). */
  escaped: string[];
  /** The token68 form (`Basic dXNlcg==`), when the challenge used it instead of params. */
  token68?: string;
}

/** A `WWW-Authenticate` value that does not follow RFC 9110 §11. */
export class ChallengeSyntaxError extends Error {
  override name = 'ChallengeSyntaxError';
  /** Index in the field value where parsing stopped. */
  readonly position: number;
  constructor(message: string, position: number) {
    super(`${message} (at character ${position + 1})`);
    this.position = position;
  }
}

const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*/;

function isTchar(char: string | undefined): boolean {
  return char !== undefined && TCHAR.test(char);
}

function isWhitespace(char: string | undefined): boolean {
  return char === ' ' || char === '\t';
}

function isQdtext(code: number): boolean {
  return (
    code === 0x09 ||
    code === 0x20 ||
    code === 0x21 ||
    (code >= 0x23 && code <= 0x5b) ||
    (code >= 0x5d && code <= 0x7e) ||
    (code >= 0x80 && code <= 0xff)
  );
}

function isQuotedPairChar(code: number): boolean {
  return code === 0x09 || (code >= 0x20 && code <= 0x7e) || (code >= 0x80 && code <= 0xff);
}

/**
 * Parses a `WWW-Authenticate` field value into its challenges, following RFC 9110 §11.6.1
 * (`#challenge`, `auth-scheme [ 1*SP ( token68 / #auth-param ) ]`, quoted-string escapes,
 * several challenges in one value as `Headers.get()` joins repeated fields). Throws a
 * {@link ChallengeSyntaxError} naming the position of the first error, and on a parameter
 * given twice in one challenge (RFC 9110 §11.2).
 *
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-11.6.1
 * @example
 * ```ts
 * parseWwwAuthenticate('Bearer resource_metadata="https://mcp.example/.well-known/oauth-protected-resource/mcp", scope="todo:read"');
 * // [{ scheme: 'Bearer', params: { resource_metadata: '…', scope: 'todo:read' }, … }]
 * ```
 */
export function parseWwwAuthenticate(value: string): AuthChallenge[] {
  const challenges: AuthChallenge[] = [];
  let i = 0;
  const length = value.length;

  const skipWhitespace = () => {
    while (isWhitespace(value[i])) i++;
  };
  const readToken = (): string => {
    const start = i;
    while (isTchar(value[i])) i++;
    return value.slice(start, i);
  };
  /** Does an auth-param (`token BWS "="`) start at `i`, not a token68's trailing `=`? */
  const paramAhead = (): boolean => {
    let j = i;
    while (isTchar(value[j])) j++;
    if (j === i) return false;
    while (isWhitespace(value[j])) j++;
    if (value[j] !== '=') return false;
    j++;
    while (isWhitespace(value[j])) j++;
    return j < length && value[j] !== ',' && value[j] !== '=';
  };
  const readQuoted = (): { text: string; escaped: boolean } => {
    const open = i;
    i++;
    let text = '';
    let escaped = false;
    while (i < length) {
      const char = value[i]!;
      const code = char.charCodeAt(0);
      if (char === '"') {
        i++;
        return { text, escaped };
      }
      if (char === '\\') {
        const next = value[i + 1];
        if (next === undefined || !isQuotedPairChar(next.charCodeAt(0))) {
          throw new ChallengeSyntaxError('invalid quoted-pair in a quoted-string', i);
        }
        text += next;
        escaped = true;
        i += 2;
        continue;
      }
      if (!isQdtext(code)) {
        throw new ChallengeSyntaxError(
          `character U+${code.toString(16).padStart(4, '0').toUpperCase()} is not allowed in a quoted-string`,
          i,
        );
      }
      text += char;
      i++;
    }
    throw new ChallengeSyntaxError('unterminated quoted-string', open);
  };

  for (;;) {
    // Empty list elements (`, ,`) are allowed and ignored (RFC 9110 §5.6.1).
    while (isWhitespace(value[i]) || value[i] === ',') i++;
    if (i >= length) break;
    const schemeStart = i;
    const scheme = readToken();
    if (!scheme) {
      throw new ChallengeSyntaxError(
        `expected an auth-scheme, found ${JSON.stringify(value[i])}`,
        schemeStart,
      );
    }
    const challenge: AuthChallenge = { scheme, params: {}, quoted: [], escaped: [] };
    challenges.push(challenge);
    if (i >= length) break;
    if (value[i] === ',') continue;
    if (!isWhitespace(value[i])) {
      throw new ChallengeSyntaxError(
        `expected a space after the auth-scheme "${scheme}", found ${JSON.stringify(value[i])}`,
        i,
      );
    }
    skipWhitespace();
    if (i >= length) break;
    if (value[i] === ',') continue;

    if (!paramAhead()) {
      const match = TOKEN68.exec(value.slice(i));
      if (!match) {
        throw new ChallengeSyntaxError(
          `expected auth-params or a token68 after "${scheme}", found ${JSON.stringify(value[i])}`,
          i,
        );
      }
      challenge.token68 = match[0];
      i += match[0].length;
      skipWhitespace();
      if (i < length && value[i] !== ',') {
        throw new ChallengeSyntaxError(
          `expected "," after the token68 of "${scheme}", found ${JSON.stringify(value[i])}`,
          i,
        );
      }
      continue;
    }

    // #auth-param: stops where the next list element is a new challenge.
    for (;;) {
      const nameStart = i;
      const name = readToken().toLowerCase();
      skipWhitespace();
      i++; // "=" (guaranteed by paramAhead)
      skipWhitespace();
      let paramValue: string;
      if (value[i] === '"') {
        const quoted = readQuoted();
        paramValue = quoted.text;
        challenge.quoted.push(name);
        if (quoted.escaped) challenge.escaped.push(name);
      } else {
        paramValue = readToken();
        if (!paramValue) {
          throw new ChallengeSyntaxError(
            `expected a token or quoted-string as the value of "${name}", found ${JSON.stringify(value[i] ?? 'the end')}`,
            i,
          );
        }
      }
      if (Object.hasOwn(challenge.params, name)) {
        throw new ChallengeSyntaxError(
          `parameter "${name}" appears twice in the ${scheme} challenge`,
          nameStart,
        );
      }
      challenge.params[name] = paramValue;
      skipWhitespace();
      if (i >= length) break;
      if (value[i] !== ',') {
        throw new ChallengeSyntaxError(
          `expected "," between auth-params, found ${JSON.stringify(value[i])}`,
          i,
        );
      }
      while (isWhitespace(value[i]) || value[i] === ',') i++;
      if (i >= length || !paramAhead()) break;
    }
  }
  return challenges;
}
