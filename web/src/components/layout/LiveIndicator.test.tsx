import { render, screen } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import { LiveIndicator } from '@/components/layout/LiveIndicator'

describe('LiveIndicator', () => {
  it('shows nothing on a page that uses no live updates, rather than claiming to reconnect', () => {
    render(<LiveIndicator />)
    expect(screen.queryByTestId('live-status')).toBeNull()
    expect(screen.queryByText(/reconnecting/i)).toBeNull()
  })
})
