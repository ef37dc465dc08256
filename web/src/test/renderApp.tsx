import { render } from '@testing-library/react'
import { MemoryRouter } from 'react-router'
import { AppRoutes, Providers } from '@/App'
import { testQueryClient } from '@/test/utils'

/** renderApp renders the whole app (providers, routes, auth) at a URL. */
export function renderApp(url: string) {
  return render(
    <Providers client={testQueryClient()}>
      <MemoryRouter initialEntries={[url]}>
        <AppRoutes />
      </MemoryRouter>
    </Providers>,
  )
}
