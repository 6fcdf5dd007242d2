// The --config option of the commands that start cluster components.
import { Option } from 'commander';
import { CONFIG_ENV } from './load-config.ts';

/** `--config <file>`: a YAML configuration file (flags and WEIR_* variables win over it). */
export function configOption(): Option {
  return new Option('--config <file>', `YAML configuration file (see docs/configuration.md; flags, then WEIR_* variables, win over it; or $${CONFIG_ENV})`);
}
