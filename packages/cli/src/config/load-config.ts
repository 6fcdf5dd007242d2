// Reads and validates a configuration file: YAML in, a WeirConfig out, or one
// UsageError that names the file, the key path and what was wrong with it.
import { readFile } from 'node:fs/promises';
import { parse, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { WEIR_ENV } from '@weir/protocol';
import { UsageError } from '../cli-support.ts';
import { configSchema, knownKeys, type WeirConfig } from './config-schema.ts';

/** The environment variable naming the configuration file when `--config` is not given. */
export const CONFIG_ENV = WEIR_ENV.config;

/** A configuration file, or a value of the environment, that is wrong: exit code 2. */
export class ConfigError extends UsageError {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Shows a value as the user wrote it: strings quoted, the rest as JSON. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  return JSON.stringify(value) ?? String(value);
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const part of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[part];
  }
  return value;
}

/** One line per problem: `<source>: <key path>: <what was expected>, got <value>`. */
export function formatIssues(source: string, issues: readonly z.core.$ZodIssue[], input: unknown, keyPath?: string): string {
  const lines = issues.map((issue) => {
    const path = keyPath ?? (issue.path.length > 0 ? issue.path.join('.') : '(top level)');
    if (issue.code === 'unrecognized_keys') {
      const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
      const keys = issue.keys.map((k) => `'${k}'`).join(', ');
      return `${source}: ${where}unknown key${issue.keys.length > 1 ? 's' : ''} ${keys} (known: ${knownKeys(issue.path).join(', ')})`;
    }
    return `${source}: ${path}: ${issue.message}, got ${describeValue(valueAt(input, issue.path))}`;
  });
  return lines.join('\n');
}

/** Validates an already parsed document (the file's contents) against the schema. */
export function validateConfig(source: string, document: unknown): WeirConfig {
  // An empty file is an empty configuration.
  const input = document ?? {};
  const result = configSchema.safeParse(input);
  if (!result.success) throw new ConfigError(formatIssues(source, result.error.issues, input));
  return result.data;
}

/** Reads, parses and validates a configuration file. */
export async function loadConfigFile(path: string): Promise<WeirConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a directory, not a file' : (error as Error).message;
    throw new ConfigError(`cannot read the configuration file ${path}: ${reason}; pass --config a YAML file (see docs/configuration.md)`);
  }
  let document: unknown;
  try {
    document = parse(text, { prettyErrors: true, uniqueKeys: true });
  } catch (error) {
    if (error instanceof YAMLParseError) {
      throw new ConfigError(`${path}: not valid YAML: ${error.message.split('\n')[0]}`);
    }
    throw error;
  }
  return validateConfig(path, document);
}
