// Command-line flags for the client scripts, on Node's built-in parseArgs
// (no dependency). A script lists its flags once; --help is built from the
// list, and a bad flag prints one line and exits 2, as Python's argparse does.

import { parseArgs } from "node:util";

export interface FlagSpec {
  name: string; // without the leading "--"
  arg: string; // what the value looks like in --help: N, URL, SECONDS...
  help: string;
  default?: string;
}

export class Flags {
  private constructor(
    private readonly script: string,
    private readonly values: Record<string, string | undefined>,
  ) {}

  // Parses process.argv; prints the help and exits on --help or a bad flag.
  static parse(script: string, description: string, specs: FlagSpec[]): Flags {
    const usage = helpText(script, description, specs);
    const options: Record<string, { type: "string" | "boolean"; short?: string }> = {
      help: { type: "boolean", short: "h" },
    };
    for (const spec of specs) options[spec.name] = { type: "string" };
    let values: Record<string, string | boolean | undefined>;
    try {
      values = parseArgs({ options, strict: true, allowPositionals: false }).values;
    } catch (error) {
      return exitWithUsage(script, (error as Error).message);
    }
    if (values.help) {
      console.log(usage);
      process.exit(0);
    }
    const strings: Record<string, string | undefined> = {};
    for (const spec of specs) strings[spec.name] = (values[spec.name] as string) ?? spec.default;
    return new Flags(script, strings);
  }

  text(name: string): string | undefined {
    return this.values[name];
  }

  // A number in [min, max]; integer when `integer`. Undefined if not given
  // and without a default.
  number(name: string, min: number, max = Infinity, integer = false): number | undefined {
    const text = this.values[name];
    if (text === undefined) return undefined;
    const value = Number(text);
    const ok = text.trim() !== "" && Number.isFinite(value) && value >= min && value <= max;
    if (!ok || (integer && !Number.isInteger(value))) {
      const range = max === Infinity ? `>= ${min}` : `between ${min} and ${max}`;
      const kind = integer ? "an integer" : "a number";
      exitWithUsage(this.script, `--${name} must be ${kind} ${range}`);
    }
    return value;
  }

  int(name: string, min: number, max = Infinity): number | undefined {
    return this.number(name, min, max, true);
  }

  fail(message: string): never {
    return exitWithUsage(this.script, message);
  }
}

function helpText(script: string, description: string, specs: FlagSpec[]): string {
  const lines = [`usage: node dist/${script} [options]`, "", description, "", "options:"];
  for (const spec of specs) {
    const shown = spec.default === undefined ? "" : ` (default: ${spec.default})`;
    lines.push(`  --${spec.name} ${spec.arg}`.padEnd(32) + spec.help + shown);
  }
  lines.push("  -h, --help".padEnd(32) + "show this help and exit");
  return lines.join("\n");
}

function exitWithUsage(script: string, message: string): never {
  console.error(`${script}: error: ${message} (see: node dist/${script} --help)`);
  process.exit(2);
}
