import type { CheckResourceServerResult, CheckStatus } from '@org/mcp-auth-testing';

/** Options for {@link formatReport}. */
export interface FormatReportOptions {
  /** ANSI colours on the marks and the summary. Default false. */
  color?: boolean;
  /** How the token was given, already redacted, for the header line. */
  tokenNote?: string;
}

const MARKS: Record<CheckStatus, string> = { pass: '✓', warn: '!', fail: '✗', skip: '–' };
const COLORS: Record<CheckStatus, string> = {
  pass: '\u001b[32m',
  warn: '\u001b[33m',
  fail: '\u001b[31m',
  skip: '\u001b[90m',
};
const RESET = '\u001b[0m';
const BOLD = '\u001b[1m';

// C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching controls is the point
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/** Text that may come from the checked server, made inert for a terminal: one line, no controls. */
function clean(text: string): string {
  return text.replace(CONTROLS, '\ufffd');
}

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

/**
 * The human report: one line per check with its mark (✓ ! ✗ –), the saw / why / fix lines
 * under warnings and failures, the reason beside a skipped check, then the summary.
 *
 * @example
 * ```ts
 * process.stdout.write(formatReport(await checkResourceServer({ url }), { color: true }));
 * ```
 */
export function formatReport(
  result: CheckResourceServerResult,
  options: FormatReportOptions = {},
): string {
  const paint = (status: CheckStatus, text: string) =>
    options.color ? `${COLORS[status]}${text}${RESET}` : text;
  const width = Math.max(0, ...result.checks.map((check) => check.id.length));
  const lines = [
    `${options.color ? BOLD : ''}mcp-auth-doctor${options.color ? RESET : ''} ${clean(result.url)}${options.tokenNote ? ` (${options.tokenNote})` : ''}`,
    '',
  ];
  for (const check of result.checks) {
    const head = `${paint(check.status, MARKS[check.status])} ${check.id.padEnd(width)}  ${check.title}`;
    if (check.status === 'skip') {
      lines.push(`${head} ${paint('skip', `(skipped: ${clean(check.saw)})`)}`);
      if (check.fix) lines.push(`    fix: ${clean(check.fix)}`);
      continue;
    }
    lines.push(head);
    if (check.status === 'warn' || check.status === 'fail') {
      lines.push(`    saw: ${clean(check.saw)}`, `    why: ${clean(check.why)}`);
      if (check.fix) lines.push(`    fix: ${clean(check.fix)}`);
    }
  }
  const { passed, warnings, failed, skipped } = result.summary;
  const summary = [
    paint('pass', `${passed} passed`),
    paint(warnings ? 'warn' : 'pass', plural(warnings, 'warning', 'warnings')),
    paint(failed ? 'fail' : 'pass', `${failed} failed`),
    paint('skip', `${skipped} skipped`),
  ].join(', ');
  lines.push('', summary, '');
  return lines.join('\n');
}
