import { parseArgs } from 'node:util';

/** A setting a program reads from a flag or, failing that, from its environment variable. */
export interface Setting {
  readonly env: string;
  readonly flag: string;
  readonly help: string;
}

/** `--help` text listing every setting with its flag and environment variable. */
export function settingsUsage(command: string, settings: readonly Setting[]): string {
  const width = Math.max(...settings.map((s) => s.flag.length)) + 2;
  const envWidth = Math.max(...settings.map((s) => s.env.length)) + 2;
  const rows = settings.map((s) => `  --${s.flag.padEnd(width)} ${s.env.padEnd(envWidth)} ${s.help}`);
  return [`Usage: ${command} -- [flags]   (each flag may instead be set by its environment variable)`, '', ...rows].join('\n');
}

/**
 * Parses `argv` strictly against the settings' flags and returns a reader by environment name: the flag
 * wins over the environment, and blank values count as unset. `fail` turns a message into the caller's
 * own error type.
 */
export function readSettings<S extends Setting>(settings: readonly S[], argv: readonly string[], env: NodeJS.ProcessEnv, fail: (message: string) => Error): (name: S['env']) => string | undefined {
  const options = Object.fromEntries(settings.map((s) => [s.flag, { type: 'string' as const }]));
  let flags: Record<string, string | undefined>;
  try {
    flags = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values as Record<string, string | undefined>;
  } catch (error) {
    throw fail(`${(error as Error).message} (see --help)`);
  }
  return (name) => {
    const setting = settings.find((s) => s.env === name);
    const value = (setting && flags[setting.flag]) ?? env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
}
