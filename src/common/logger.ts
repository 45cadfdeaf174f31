/** One JSON object per line, so log pipelines (kubectl logs, Cloud Logging, Loki) parse it as is. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface JsonLoggerOptions {
  /** Component name written as `logger`. */
  name: string;
  /** Lowest level written. Default: `LOG_LEVEL` from the environment, else `info`. */
  level?: LogLevel;
  /** Where lines go. Default: process.stderr. */
  write?: (line: string) => void;
  /** `json` (default) for machines, `text` for people watching a terminal (the demo). */
  format?: 'json' | 'text';
}

export function createJsonLogger(options: JsonLoggerOptions): Logger {
  const min = LEVELS[options.level ?? parseLevel(process.env.LOG_LEVEL)];
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const emit = (level: LogLevel, msg: string, fields?: LogFields): void => {
    if (LEVELS[level] < min) return;
    const time = new Date().toISOString();
    if (options.format === 'text') {
      const rest = Object.entries(fields ?? {}).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v, errorReplacer)}`);
      write(`${time.slice(11, 19)} ${level.toUpperCase().padEnd(5)} ${options.name.padEnd(6)} ${[msg, ...rest].join('  ')}\n`);
      return;
    }
    write(`${JSON.stringify({ time, level, logger: options.name, msg, ...fields }, errorReplacer)}\n`);
  };
  return {
    debug: (msg, fields) => emit('debug', msg, fields),
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    error: (msg, fields) => emit('error', msg, fields),
  };
}

/** A logger that drops everything: for library users who log elsewhere, and for quiet tests. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

function parseLevel(value: string | undefined): LogLevel {
  return value !== undefined && value in LEVELS ? (value as LogLevel) : 'info';
}

function errorReplacer(_key: string, value: unknown): unknown {
  return value instanceof Error ? { name: value.name, message: value.message } : value;
}
