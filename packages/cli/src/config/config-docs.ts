// The table of configuration keys in docs/configuration.md, rendered from the
// schema (a unit test checks that the document holds exactly this table).
import { configKeys } from './config-schema.ts';
import { COMMAND_FLAG_KEYS } from './resolve-config.ts';

function kebab(attribute: string): string {
  return attribute.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** Which flags set a key: `--port` (coordinator, local). */
function flagsOf(path: string): string {
  const byFlag = new Map<string, string[]>();
  for (const [command, flags] of Object.entries(COMMAND_FLAG_KEYS)) {
    for (const [attribute, key] of Object.entries(flags)) {
      if (key !== path) continue;
      const flag = `--${kebab(attribute)}`;
      byFlag.set(flag, [...(byFlag.get(flag) ?? []), command]);
    }
  }
  return [...byFlag].map(([flag, commands]) => `\`${flag}\` (${commands.join(', ')})`).join(', ');
}

/** The Markdown table: key, flag, environment variable, default, description. */
export function renderConfigTable(): string {
  const rows = configKeys().map((k) => `| \`${k.path}\` | ${flagsOf(k.path)} | ${k.env ? `\`${k.env}\`` : ''} | ${k.default} | ${k.description.replaceAll('|', '\\|')} |`);
  return ['| key | flag | environment | default | what it sets |', '|---|---|---|---|---|', ...rows].join('\n');
}
