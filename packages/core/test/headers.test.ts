import { describe, expect, it } from 'vitest';
import { headerValue, headerValues } from '../src/headers.js';

describe('headerValues', () => {
  it('reads a record case-insensitively, keeping arrays as separate values', () => {
    const headers = { authorization: ['Bearer a', 'Bearer b'], 'X-Other': 'x' };
    expect(headerValues(headers, 'Authorization')).toEqual(['Bearer a', 'Bearer b']);
    expect(headerValues(headers, 'x-other')).toEqual(['x']);
    expect(headerValues(headers, 'missing')).toEqual([]);
  });

  it('collects the same header under differently-cased keys', () => {
    expect(
      headerValues({ authorization: 'Bearer a', Authorization: 'Bearer b' }, 'authorization'),
    ).toEqual(['Bearer a', 'Bearer b']);
  });

  it('ignores undefined and non-string values', () => {
    expect(headerValues({ a: undefined }, 'a')).toEqual([]);
    expect(headerValues({ a: 42 } as unknown as Record<string, string>, 'a')).toEqual([]);
    expect(headerValues(undefined, 'a')).toEqual([]);
  });

  it('reads Web Headers, which join duplicates with ", "', () => {
    const headers = new Headers();
    headers.append('Authorization', 'Bearer a');
    headers.append('Authorization', 'Bearer b');
    expect(headerValues(headers, 'authorization')).toEqual(['Bearer a, Bearer b']);
    expect(headerValues(headers, 'mcp-session-id')).toEqual([]);
  });

  it('reads name/value pairs (raw headers), keeping repeats', () => {
    const pairs: Array<[string, string]> = [
      ['Authorization', 'Bearer a'],
      ['Host', 'x'],
      ['authorization', 'Bearer b'],
    ];
    expect(headerValues(pairs, 'authorization')).toEqual(['Bearer a', 'Bearer b']);
    expect(headerValues(new Map(pairs), 'host')).toEqual(['x']);
  });

  it('headerValue returns the first value or undefined', () => {
    expect(headerValue({ Origin: 'https://a.example' }, 'origin')).toBe('https://a.example');
    expect(headerValue({}, 'origin')).toBeUndefined();
  });
});
