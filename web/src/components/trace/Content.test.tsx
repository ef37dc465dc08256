import { render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import { asChat, Content, parseJSON } from '@/components/trace/Content'
import { flattenSpans, timeBounds } from '@/components/trace/SpanWaterfall'
import { trace } from '@/test/fixtures'
import type { Span } from '@/api/types'

describe('Content', () => {
  it('recognises chat messages, including content parts', () => {
    expect(asChat([{ role: 'user', content: [{ type: 'text', text: 'hi' }] }])).toEqual([{ role: 'user', content: 'hi', name: undefined, extra: undefined }])
    expect(asChat({ model: 'x', messages: [{ role: 'assistant', content: 'ok' }] })?.[0]?.content).toBe('ok')
    expect(asChat([{ content: 'no role' }])).toBeNull()
    expect(asChat({ a: 1 })).toBeNull()
    expect(parseJSON('not json').ok).toBe(false)
    expect(parseJSON('{"a":').ok).toBe(false)
  })

  it('folds long text and unfolds it on request', async () => {
    const long = Array.from({ length: 60 }, (_, i) => `line ${i}`).join('\n')
    render(<Content value={long} testId="c" />)
    expect(screen.getByTestId('content-text')).not.toHaveTextContent('line 59')
    await userEvent.click(screen.getByTestId('content-fold-toggle'))
    expect(screen.getByTestId('content-text')).toHaveTextContent('line 59')
  })

  it('collapses JSON nodes', async () => {
    render(<Content value={JSON.stringify({ a: { b: { c: { d: 1 } } } })} testId="c" />)
    const toggles = screen.getAllByTestId('json-toggle')
    expect(toggles[0]).toHaveAttribute('aria-expanded', 'true')
    await userEvent.click(toggles[0] as HTMLElement)
    expect(screen.getAllByTestId('json-toggle')[0]).toHaveAttribute('aria-expanded', 'false')
    expect(screen.getByTestId('c')).toHaveTextContent('1 keys')
  })

  it('flattens the span tree and finds its time bounds', () => {
    const spans = trace.spans as unknown as Span[]
    expect(flattenSpans(spans).map((f) => f.span.span_id)).toEqual(['agent', 'plan', 'search'])
    expect(flattenSpans(spans, new Set(['agent'])).map((f) => f.span.span_id)).toEqual(['agent'])
    const b = timeBounds(spans, trace.start_time, trace.latency_ms)
    expect(b.total).toBe(812)
  })
})
