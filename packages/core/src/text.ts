/** Text as data: checks shared by the data stage (dataset rows) and the server (requests), and the one normalisation. */

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

/**
 * The text normalisations a model can be trained with. The data stage applies one to every split and records it; the
 * runtime applies the same one to every query before tokenizing, so training and serving see the same text.
 * - `nfkc`: `normalizeText` below.
 * - `none`: the text as given (the tokenizer's own cleaning still applies).
 */
export const NORMALIZATIONS = ['nfkc', 'none'] as const;
export type Normalization = (typeof NORMALIZATIONS)[number];

/**
 * NFKC (full-width letters, digits and punctuation → half-width), control and format characters removed (BEL, zero-width
 * space, bidirectional overrides such as RLO: invisible, and they make equal-looking texts differ), whitespace
 * collapsed to single spaces.
 */
export function normalizeText(text: string): string {
  return text
    .normalize('NFKC')
    .replace(/[\p{Cc}\p{Cf}]/gu, (c) => (/\s/.test(c) ? ' ' : ''))
    .replace(/\s+/g, ' ')
    .trim();
}

export function applyNormalization(text: string, normalization: Normalization): string {
  return normalization === 'nfkc' ? normalizeText(text) : text;
}

/** A recorded normalisation name, checked (files written before the field existed have none: `none`). */
export function parseNormalization(value: unknown, where: string): Normalization {
  if (value === undefined || value === null) return 'none';
  if (typeof value === 'string' && (NORMALIZATIONS as readonly string[]).includes(value)) return value as Normalization;
  throw new Error(`${where}: unknown text normalization ${JSON.stringify(value)} (known: ${NORMALIZATIONS.join(', ')})`);
}
