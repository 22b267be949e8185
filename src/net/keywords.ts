/**
 * Keyword normalisation: Unicode NFKC, lower case, split on anything that is not a letter or a
 * digit, tokens of 2 to 64 characters, de-duplicated, in first-seen order. No stemming:
 * "models" and "model" are different keywords (publishers list both if they want both found).
 */
export function normaliseKeywords (...texts: Array<string | undefined | null>): string[] {
  const out = new Set<string>()
  for (const text of texts) {
    if (typeof text !== 'string') continue
    for (const token of text.normalize('NFKC').toLowerCase().split(/[^\p{L}\p{N}]+/u)) {
      if (token.length >= 2 && token.length <= 64) out.add(token)
    }
  }
  return [...out]
}
