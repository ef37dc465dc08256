import { Link } from 'react-router'
import { Button } from '@/components/ui/button'

export default function NotFound() {
  return (
    <div data-testid="not-found" className="grid min-h-[50vh] place-items-center p-6 text-center">
      <div className="grid gap-3">
        <h1 className="text-2xl font-semibold">Page not found</h1>
        <p className="text-muted-foreground">There is nothing at this address.</p>
        <Button asChild>
          <Link to="/dashboard">Go to the dashboard</Link>
        </Button>
      </div>
    </div>
  )
}
