import { describe, expect, it } from 'vitest'
import { bucketLabel, formatChange, formatCost, formatDuration, formatInteger, formatNumber, formatPercent, formatRelative, truncate } from '@/lib/format'

describe('formatNumber', () => {
  it.each([
    [0, '0'],
    [950, '950'],
    [999, '999'],
    [1000, '1k'],
    [1234, '1.2k'],
    [34_567, '34.6k'],
    [999_950, '1M'],
    [1_200_000, '1.2M'],
    [3_400_000_000, '3.4B'],
    [-1500, '-1.5k'],
    [7.24, '7.24'],
  ])('%d → %s', (n, want) => expect(formatNumber(n)).toBe(want))
  it('writes a dash for missing values', () => {
    expect(formatNumber(null)).toBe('—')
    expect(formatNumber(undefined)).toBe('—')
    expect(formatNumber(Number.NaN)).toBe('—')
  })
  it('groups full integers', () => expect(formatInteger(12345)).toBe('12,345'))
})

describe('formatCost', () => {
  it.each([
    [0, '$0.00'],
    [0.0031, '$0.0031'],
    [0.000042, '$0.000042'],
    [0.0000001, '<$0.000001'],
    [0.05, '$0.05'],
    [0.123, '$0.12'],
    [12.345, '$12.35'],
    [1234.5, '$1,235'],
    [2_500_000, '$2.5M'],
  ])('%d → %s', (n, want) => expect(formatCost(n)).toBe(want))
  it('writes a dash for an unpriced model', () => expect(formatCost(null)).toBe('—'))
})

describe('formatDuration', () => {
  it.each([
    [840, '840 ms'],
    [1400, '1.4 s'],
    [1234, '1.23 s'],
    [12_500, '12.5 s'],
    [150_000, '2.5 min'],
    [4_320_000, '1.2 h'],
  ])('%d ms → %s', (n, want) => expect(formatDuration(n)).toBe(want))
})

describe('percentages', () => {
  it('formats shares and changes', () => {
    expect(formatPercent(96.12)).toBe('96.1%')
    expect(formatPercent(0.35)).toBe('0.35%')
    expect(formatPercent(100)).toBe('100%')
    expect(formatChange(8.57)).toBe('+8.6%')
    expect(formatChange(-1.76)).toBe('-1.8%')
    expect(formatChange(0)).toBe('0%')
    expect(formatChange(null)).toBe('—')
  })
})

describe('dates', () => {
  it('writes how long ago', () => {
    const now = new Date('2026-11-25T10:00:00Z')
    expect(formatRelative('2026-11-25T09:59:50Z', now)).toBe('just now')
    expect(formatRelative('2026-11-25T09:55:00Z', now)).toBe('5 min ago')
    expect(formatRelative('2026-11-25T07:00:00Z', now)).toBe('3 h ago')
    expect(formatRelative('2026-11-22T10:00:00Z', now)).toBe('3 d ago')
    expect(formatRelative('not a date', now)).toBe('—')
  })
  it('labels buckets in the viewer time zone', () => {
    // The test process runs in UTC (see the test script).
    expect(bucketLabel('daily')('2026-11-25T00:00:00Z')).toBe('Nov 25')
    expect(bucketLabel('hourly')('2026-11-25T14:00:00Z')).toMatch(/02:00\sPM|14:00/)
    expect(bucketLabel('hourly', 7 * 86_400_000)('2026-11-25T14:00:00Z')).toMatch(/Nov 25, 2\sPM|25 Nov, 14/)
  })
  it('truncates long text', () => {
    expect(truncate('abcdef', 4)).toBe('abc…')
    expect(truncate('abc', 4)).toBe('abc')
  })
})

describe('userTimeZone', () => {
  it('prefers the workspace time zone over the viewer one', async () => {
    const { setWorkspaceTimeZone, userTimeZone } = await import('@/lib/format')
    const viewer = userTimeZone()
    setWorkspaceTimeZone('Asia/Tokyo')
    expect(userTimeZone()).toBe('Asia/Tokyo')
    setWorkspaceTimeZone('')
    expect(userTimeZone()).toBe(viewer)
  })
})
