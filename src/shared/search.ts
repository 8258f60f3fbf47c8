/**
 * Name search that works the way people type on a phone: case, accents and Arabic vowel marks
 * do not matter, the order of given and family name does not matter, and every word typed only
 * has to start a word of the name ("ahm kar" finds "Karim Ahmadi").
 */

const COMBINING_MARKS = /\p{M}+/gu
const ARABIC_TATWEEL = /\u0640/g
const NON_WORD = /[^\p{L}\p{N}]+/gu

const FOLDS: Record<string, string> = {
  ß: 'ss',
  ı: 'i', // Turkish dotless i
  ø: 'o',
  æ: 'ae',
  œ: 'oe',
  ł: 'l',
  đ: 'd',
  // Arabic letters that are written interchangeably in names
  أ: 'ا',
  إ: 'ا',
  آ: 'ا',
  ٱ: 'ا',
  ى: 'ي',
  ی: 'ي', // Farsi yeh
  ک: 'ك', // Farsi kaf
  ة: 'ه',
  ؤ: 'و',
  ئ: 'ي',
}
const FOLD_RE = new RegExp(`[${Object.keys(FOLDS).join('')}]`, 'g')

export function normalizeForSearch(text: string): string {
  return text
    .normalize('NFKD')
    .replace(COMBINING_MARKS, '')
    .replace(ARABIC_TATWEEL, '')
    .toLowerCase()
    .replace(FOLD_RE, (ch) => FOLDS[ch] ?? ch)
    .normalize('NFC')
}

export function searchTokens(text: string): string[] {
  return normalizeForSearch(text).split(NON_WORD).filter(Boolean)
}

/** The searchable form of a name: its tokens joined by single spaces, with a leading space. */
export function buildSearchKey(...parts: (string | undefined | null)[]): string {
  return ' ' + searchTokens(parts.filter(Boolean).join(' ')).join(' ')
}

/** A predicate for one query, to run over many prepared search keys. */
export function compileQuery(query: string): (searchKey: string) => boolean {
  const needles = searchTokens(query).map((token) => ' ' + token)
  if (needles.length === 0) return () => true
  return (searchKey) => needles.every((needle) => searchKey.includes(needle))
}
