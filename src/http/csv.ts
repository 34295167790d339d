// RFC 4180 CSV reading for imports: quoted fields, doubled quotes, CRLF or LF.

export class CsvError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`)
  }
}

export function parseCsv(text: string): string[][] {
  const records: string[][] = []
  let record: string[] = []
  let field = ''
  let quoted = false
  let afterQuote = false
  let line = 1
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
  const nul = body.indexOf('\u0000')
  // Text never holds U+0000 (PostgreSQL cannot store it): refused on either backend, with its line.
  if (nul >= 0) throw new CsvError(body.slice(0, nul).split('\n').length, 'contains U+0000 (NUL); text never holds it')
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string
    if (quoted) {
      if (c === '"') {
        if (body[i + 1] === '"') {
          field += '"'
          i++
        } else {
          quoted = false
          afterQuote = true
        }
      } else {
        if (c === '\n') line++
        field += c
      }
      continue
    }
    if (c === '"') {
      if (field !== '' || afterQuote) throw new CsvError(line, 'a quote inside an unquoted field')
      quoted = true
    } else if (c === ',') {
      record.push(field)
      field = ''
      afterQuote = false
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && body[i + 1] === '\n') i++
      record.push(field)
      records.push(record)
      record = []
      field = ''
      afterQuote = false
      line++
    } else {
      if (afterQuote) throw new CsvError(line, 'text after a closing quote')
      field += c
    }
  }
  if (quoted) throw new CsvError(line, 'an unterminated quoted field')
  if (field !== '' || record.length > 0 || afterQuote) {
    record.push(field)
    records.push(record)
  }
  return records
}
