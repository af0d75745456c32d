import { describe, expect, it } from 'vitest';
import { type DecisionEvent, emitDecision } from '../src/audit.js';

const event: DecisionEvent = {
  outcome: 'allow',
  reason: 'authorized',
  status: 200,
  resource: 'https://mcp.example/mcp',
  httpMethod: 'POST',
  methods: [],
  tools: [],
  requiredScopes: [],
  missingScopes: [],
  durationMs: 1,
  timestamp: 0,
};

describe('emitDecision', () => {
  it('delivers the event', () => {
    const seen: DecisionEvent[] = [];
    emitDecision((e) => seen.push(e), event);
    expect(seen).toEqual([event]);
  });

  it('swallows synchronous throws and async rejections', async () => {
    expect(() =>
      emitDecision(() => {
        throw new Error('boom');
      }, event),
    ).not.toThrow();
    const rejecting = (() => Promise.reject(new Error('later'))) as unknown as (
      e: DecisionEvent,
    ) => void;
    expect(() => emitDecision(rejecting, event)).not.toThrow();
    await new Promise((r) => setTimeout(r, 0));
    expect(() => emitDecision(undefined, event)).not.toThrow();
  });
});
