// Citations in the web's own terms: W3C Web Annotations whose targets select the quote in the stored text.
import { Type, type Static } from '@sinclair/typebox'
import { Nullable, SourceId } from '../../http/schemas.js'

export const ANNO_CONTEXT = 'http://www.w3.org/ns/anno.jsonld' as const

const TextQuoteSelector = Type.Object(
  {
    type: Type.Literal('TextQuoteSelector', { description: 'Always `TextQuoteSelector`.' }),
    exact: Type.String({ description: 'The quote, verbatim.' }),
    prefix: Type.String({ description: 'Up to 32 code points of the text just before the quote (fewer at the start of the text).' }),
    suffix: Type.String({ description: 'Up to 32 code points of the text just after the quote (fewer at its end).' }),
  },
  { description: 'W3C TextQuoteSelector: the quote with its context; prefix + exact + suffix occurs once in the text.' },
)

const TextPositionSelector = Type.Object(
  {
    type: Type.Literal('TextPositionSelector', { description: 'Always `TextPositionSelector`.' }),
    start: Type.Integer({ minimum: 0, description: 'Unicode code points of the text before the quote (a character outside the BMP counts one).' }),
    end: Type.Integer({ minimum: 0, description: 'Code points before the end of the quote: [start, end).' }),
  },
  { description: 'W3C TextPositionSelector, in code points of the decoded text.' },
)

const DataPositionSelector = Type.Object(
  {
    type: Type.Literal('DataPositionSelector', { description: 'Always `DataPositionSelector`.' }),
    start: Type.Integer({ minimum: 0, description: 'Bytes of the stored UTF-8 text before the quote (= the observation\'s byteStart).' }),
    end: Type.Integer({ minimum: 0, description: 'Bytes before the end of the quote (= byteEnd): `curl -r start-(end-1)` on the text returns it.' }),
  },
  { description: 'W3C DataPositionSelector: the same span in bytes of the stored text.' },
)

export const AnnotationTarget = Type.Object(
  {
    source: Type.String({ description: 'The stored text the selectors apply to (root-relative URL).' }),
    type: Type.Literal('Text', { description: 'Always `Text`.' }),
    format: Type.Literal('text/plain', { description: 'Always `text/plain`.' }),
    selector: Type.Array(Type.Union([TextQuoteSelector, TextPositionSelector, DataPositionSelector]), {
      maxItems: 3,
      description: 'Three selectors of the same quote, in this order: by quote (TextQuoteSelector), by code points (TextPositionSelector), by bytes (DataPositionSelector).',
    }),
  },
  { description: 'Where in the source the figure is stated.' },
)

export const Annotation = Type.Object(
  {
    '@context': Type.Literal(ANNO_CONTEXT, { description: 'The W3C Web Annotation JSON-LD context.' }),
    id: Type.String({ description: 'This annotation (root-relative URL).' }),
    type: Type.Literal('Annotation', { description: 'Always `Annotation`.' }),
    motivation: Type.Literal('describing', { description: 'The observation describes the quoted words as a figure.' }),
    body: Type.Array(
      Type.Union([
        Type.Object({ id: Type.String({ description: 'The observation in the API.' }), type: Type.Literal('Dataset', { description: 'Always `Dataset`.' }), format: Type.Literal('application/json', { description: 'Always `application/json`.' }) }, { description: 'The observation.' }),
        Type.Object(
          {
            type: Type.Literal('TextualBody', { description: 'Always `TextualBody`.' }),
            value: Type.String({ description: 'The figure in words: indicator, area, period, kind, value and unit (value exactly as stored).' }),
            format: Type.Literal('text/plain', { description: 'Always `text/plain`.' }),
            language: Type.Literal('en', { description: 'Always `en`.' }),
          },
          { description: 'The figure, for a reader of the annotation alone.' },
        ),
      ]),
      { maxItems: 2, description: 'The observation, by its API URL (first) and as text (second).' },
    ),
    target: AnnotationTarget,
    textFragmentUrl: Type.String({ description: 'The quote as a text-fragment link (`…/text#:~:text=prefix-,exact,-suffix`, each term percent-encoded): a browser opens the text with the quote highlighted.' }),
    status: Type.Union([Type.Literal('active', { description: 'Always `active`.' }), Type.Literal('withdrawn', { description: 'Always `withdrawn`.' })], { description: 'The observation\'s status (an extension of the annotation).' }),
  },
  { description: 'A W3C Web Annotation (JSON-LD) of one observation\'s citation.' },
)
export type AnnotationT = Static<typeof Annotation>

export const AnnotationPage = Type.Object(
  {
    '@context': Type.Literal(ANNO_CONTEXT, { description: 'The W3C Web Annotation JSON-LD context.' }),
    id: Type.String({ description: 'This page (root-relative URL).' }),
    type: Type.Literal('AnnotationPage', { description: 'Always `AnnotationPage`.' }),
    startIndex: Type.Integer({ minimum: 0, description: 'Index of the first item (always 0: the page holds every current observation citing the source).' }),
    items: Type.Array(Annotation, { description: 'One annotation per current (not withdrawn) observation citing the source, in observation id order.' }),
  },
  { description: 'The annotations of every current observation that cites the source.' },
)

const Span = Type.Object(
  {
    byteStart: Type.Integer({ minimum: 0, description: 'Bytes of the stored text before the words.' }),
    byteEnd: Type.Integer({ minimum: 0, description: 'Bytes before their end: [byteStart, byteEnd).' }),
    start: Type.Integer({ minimum: 0, description: 'Code points before the words.' }),
    end: Type.Integer({ minimum: 0, description: 'Code points before their end.' }),
  },
  { description: 'One place of the words in the text, in bytes and in code points.' },
)

export const Exclusion = Type.Object(
  {
    quote: Type.String({ description: 'The words holding the number, verbatim.' }),
    reason: Type.String({ description: 'Why the reviewers did not extract it (a date, a document number, a name…), in English.' }),
    reasonZh: Nullable(Type.String(), { description: 'The same reason in Simplified Chinese; null where the reviewers gave none (read `reason` then).' }),
    locations: Type.Array(Span, { description: 'Every place the words occur in the text (one for most; none if the text no longer holds them).' }),
  },
  { description: 'A number of the text deliberately not extracted.' },
)
export type ExclusionT = Static<typeof Exclusion>

export const ExclusionList = Type.Object(
  {
    sourceId: SourceId,
    data: Type.Array(Exclusion, { description: 'The reviewed exclusions, in text order; empty for a source without reviewed exclusions.' }),
  },
  { description: 'The numbers of a source deliberately not extracted, with their reasons.' },
)
