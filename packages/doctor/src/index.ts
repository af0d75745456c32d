export { type FormatReportOptions, formatReport } from './format-report.js';
export {
  DOCTOR_USAGE,
  type DoctorArgs,
  parseDoctorArgs,
  UsageError,
} from './parse-doctor-args.js';
export { readTokenCommand, TOKEN_COMMAND_TIMEOUT_MS } from './read-token-command.js';
export { type DoctorIo, runDoctor } from './run-doctor.js';
export type {
  Check,
  CheckResourceServerResult,
  CheckResourceServerSummary,
  CheckStatus,
} from '@org/mcp-auth-testing';
