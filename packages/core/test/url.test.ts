import { describe, expect, it } from 'vitest';
import { McpAuthConfigError } from '../src/errors.js';
import { assertSecureUrl, canonicalResource, isLoopbackHost, resourceMatches } from '../src/url.js';

describe('isLoopbackHost', () => {
  it.each([
    'localhost',
    'LOCALHOST',
    'app.localhost',
    'localhost.',
    '127.0.0.1',
    '127.1.2.3',
    '::1',
    '[::1]',
  ])('treats %s as loopback', (host) => expect(isLoopbackHost(host)).toBe(true));

  it.each([
    'example.com',
    'localhost.example.com',
    '128.0.0.1',
    '127.0.0',
    '127.0.0.256',
    '127.0.0.1.nip.io',
    '::2',
    '0.0.0.0',
  ])('treats %s as remote', (host) => expect(isLoopbackHost(host)).toBe(false));
});

describe('assertSecureUrl', () => {
  it('returns the parsed URL for https and loopback http', () => {
    expect(assertSecureUrl('issuer', 'https://a.example.com/x').href).toBe(
      'https://a.example.com/x',
    );
    expect(assertSecureUrl('issuer', 'http://127.0.0.1:3000').port).toBe('3000');
  });

  it.each([
    ['http://a.example.com', /https/],
    ['ftp://localhost/x', /https/],
    ['not a url', /absolute URL/],
    ['', /non-empty/],
  ])('refuses %j with a TypeError naming the option', (value, rule) => {
    expect(() => assertSecureUrl('jwksUri', value)).toThrow(McpAuthConfigError);
    expect(() => assertSecureUrl('jwksUri', value)).toThrow(TypeError);
    expect(() => assertSecureUrl('jwksUri', value)).toThrow(/option "jwksUri"/);
    expect(() => assertSecureUrl('jwksUri', value)).toThrow(rule);
  });
});

describe('canonicalResource (RFC 3986 §6.2.2–6.2.3)', () => {
  it.each([
    ['HTTPS://MCP.Example.COM/mcp', 'https://mcp.example.com/mcp'],
    ['https://mcp.example.com:443/mcp', 'https://mcp.example.com/mcp'],
    ['http://localhost:80/', 'http://localhost'],
    ['https://mcp.example.com', 'https://mcp.example.com'],
    ['https://mcp.example.com/?x', 'https://mcp.example.com?x'],
    ['https://mcp.example.com:8443/Path', 'https://mcp.example.com:8443/Path'],
    ['https://mcp.example.com/mcp?x=1', 'https://mcp.example.com/mcp?x=1'],
    ['HTTP://[::1]:80/mcp', 'http://[::1]/mcp'],
    // Everything else is left as written: it then only matches itself.
    ['https://mcp.example.com/mcp/', 'https://mcp.example.com/mcp/'],
    ['https://mcp.example.com/mcp#frag', 'https://mcp.example.com/mcp#frag'],
    ['https:\\mcp.example.com\\mcp', 'https:\\mcp.example.com\\mcp'],
    ['https://user@mcp.example.com/mcp', 'https://user@mcp.example.com/mcp'],
    ['https://mcp.example.com:/mcp', 'https://mcp.example.com:/mcp'],
    ['plain-audience', 'plain-audience'],
  ])('%s → %s', (input, expected) => {
    expect(canonicalResource(input)).toBe(expected);
  });
});

describe('resourceMatches', () => {
  it('matches equal resources in different spellings', () => {
    expect(resourceMatches('https://MCP.example.com:443/mcp', 'https://mcp.example.com/mcp')).toBe(
      true,
    );
    expect(resourceMatches('api://todo', 'api://todo')).toBe(true);
  });

  it('keeps path case and different paths apart', () => {
    expect(resourceMatches('https://mcp.example.com/MCP', 'https://mcp.example.com/mcp')).toBe(
      false,
    );
    expect(resourceMatches('https://mcp.example.com/mcp', 'https://mcp.example.com/mcp2')).toBe(
      false,
    );
    expect(resourceMatches('https://mcp.example.com/mcp', 'http://mcp.example.com/mcp')).toBe(
      false,
    );
  });
});
