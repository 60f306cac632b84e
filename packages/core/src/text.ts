/** Checks on text as data, shared by the data stage (dataset rows) and the server (requests). */

/**
 * What is wrong with a text as data, or null: a lone UTF-16 surrogate (from a JSON `\ud800` escape), which no UTF-8
 * encoder can write and no tokenizer reads as the character it was meant to be. Bytes that are not UTF-8 are caught
 * where they are decoded (readLines for files, the server's body parser for requests).
 */
export function textProblem(text: string): string | null {
  const lone = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.exec(text);
  if (lone) return `invalid text: a lone UTF-16 surrogate (U+${lone[0].charCodeAt(0).toString(16).toUpperCase()}) at character ${lone.index}`;
  return null;
}
