/** Reads a UTF-8 text file as lines, naming the file when it is missing or not UTF-8. */
import * as fs from 'node:fs';

export function readLines(file: string): string[] {
  if (!fs.existsSync(file)) throw new Error(`${file}: file not found`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(fs.readFileSync(file));
  } catch {
    throw new Error(`${file}: not valid UTF-8`);
  }
  return text.replace(/^\uFEFF/, '').split(/\r?\n/);
}
