import { QueryClient } from '@tanstack/react-query'
import { ApiError } from '@/lib/api'

export function newQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        // The server caches answers for minutes and invalidates on ingestion; 30 s here keeps
        // navigating between pages instant without showing stale data for long.
        staleTime: 30_000,
        refetchOnWindowFocus: false,
        // A 4xx will not heal by retrying; network blips and 5xx get two more tries.
        retry: (count, err) => !(err instanceof ApiError && err.status >= 400 && err.status < 500) && count < 2,
      },
    },
  })
}
