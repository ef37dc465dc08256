import { render, screen } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import { KPICard, tone } from '@/components/dashboard/KPICard'

describe('KPICard', () => {
  it('shows the value and a rising trend as good news by default', () => {
    render(<KPICard testId="k" title="Total requests" value="1.5k" rawValue={1520} change={8.57} changeLabel="vs previous 24h" />)
    expect(screen.getByText('Total requests')).toBeInTheDocument()
    expect(screen.getByTestId('k-value')).toHaveTextContent('1.5k')
    expect(screen.getByTestId('k-value')).toHaveAttribute('data-value', '1520')
    const badge = screen.getByTestId('k-trend')
    expect(badge).toHaveTextContent('+8.6%')
    expect(badge).toHaveAttribute('data-tone', 'up-good')
    expect(screen.getByText('vs previous 24h')).toBeInTheDocument()
  })

  it('reads a rising latency as bad news (inverse trend)', () => {
    render(<KPICard testId="k" title="P95 latency" value="2.4 s" change={3.87} trend="inverse" />)
    expect(screen.getByTestId('k-trend')).toHaveAttribute('data-tone', 'up-bad')
    expect(tone(-5, 'inverse')).toBe('down-good')
    expect(tone(-5)).toBe('down-bad')
    expect(tone(0)).toBe('flat')
  })

  it('has a loading skeleton and says when there is nothing to compare with', () => {
    const { rerender } = render(<KPICard testId="k" title="Cost" value="$1" loading change={2} />)
    expect(screen.getByTestId('k-loading')).toBeInTheDocument()
    expect(screen.queryByTestId('k-value')).not.toBeInTheDocument()
    expect(screen.queryByTestId('k-trend')).not.toBeInTheDocument()
    rerender(<KPICard testId="k" title="Cost" value="$1" change={null} />)
    expect(screen.getByTestId('k-trend')).toHaveTextContent('new')
    expect(screen.getByText('no data in the previous period')).toBeInTheDocument()
  })
})

describe('KPICard hint', () => {
  it('explains the figure in a tooltip reachable by keyboard', async () => {
    const { default: userEvent } = await import('@testing-library/user-event')
    render(<KPICard testId="k" title="P95 latency" value="2.4 s" hint="degraded at 5 s" />)
    const trigger = screen.getByTestId('k-hint')
    expect(trigger).toHaveAccessibleName('degraded at 5 s')
    await userEvent.tab()
    expect(trigger).toHaveFocus()
    expect((await screen.findAllByText('degraded at 5 s')).length).toBeGreaterThan(0)
  })
})
