/** The machine a benchmark ran on: CPU model, cores, memory, Node version, OS. */
import { readFileSync } from 'node:fs';
import { arch, cpus, type as osType, release, totalmem } from 'node:os';

export interface MachineDescription {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  os: string;
}

function osName(): string {
  try {
    const text = readFileSync('/etc/os-release', 'utf8');
    const pretty = /^PRETTY_NAME="?([^"\n]+)"?$/m.exec(text)?.[1];
    if (pretty) return `${pretty}, ${osType()} ${release()} ${arch()}`;
  } catch {
    // not Linux, or no os-release
  }
  return `${osType()} ${release()} ${arch()}`;
}

export function describeMachine(): MachineDescription {
  const list = cpus();
  return {
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: osName(),
  };
}
