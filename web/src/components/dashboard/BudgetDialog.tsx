import { useState, type FormEvent } from 'react'
import { Loader2 } from 'lucide-react'
import { Alert, AlertDescription } from '@/components/ui/alert'
import { Button } from '@/components/ui/button'
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle, DialogTrigger } from '@/components/ui/dialog'
import { Input } from '@/components/ui/input'
import { Label } from '@/components/ui/label'
import { useSetBudget } from '@/api/queries'
import type { Budget, BudgetInput } from '@/api/types'
import { errorMessage } from '@/lib/api'
import { userTimeZone } from '@/lib/format'

/** parseBudgetForm checks the form and returns the PUT body, or a sentence saying what is wrong. */
export function parseBudgetForm(limit: string, thresholds: string, timezone: string): BudgetInput | string {
  const monthly = Number(limit.replace(/[$,\s]/g, ''))
  if (!limit.trim() || !Number.isFinite(monthly) || monthly <= 0) return 'Enter a monthly limit above $0.'
  const parts = thresholds
    .split(/[,\s]+/)
    .map((p) => p.replace('%', ''))
    .filter(Boolean)
  const nums = parts.map(Number)
  if (nums.length === 0 || nums.length > 10 || nums.some((n) => !Number.isFinite(n) || n <= 0 || n > 1000)) {
    return 'Thresholds are 1 to 10 percentages between 0 and 1000, e.g. 50, 80, 100.'
  }
  for (let i = 1; i < nums.length; i++) {
    if ((nums[i] as number) <= (nums[i - 1] as number)) return 'List thresholds in ascending order, each once.'
  }
  return { monthly_limit_usd: monthly, thresholds_pct: nums, timezone: timezone.trim() || 'UTC' }
}

export function BudgetDialog({ budget }: { budget: Budget | null }) {
  const [open, setOpen] = useState(false)
  const [limit, setLimit] = useState('')
  const [thresholds, setThresholds] = useState('')
  const [tz, setTz] = useState('')
  const [formError, setFormError] = useState<string | null>(null)
  const save = useSetBudget()

  const onOpenChange = (o: boolean) => {
    if (o) {
      setLimit(budget ? String(budget.monthly_limit_usd) : '')
      setThresholds((budget?.thresholds_pct ?? [80, 100]).join(', '))
      setTz(budget?.timezone ?? userTimeZone())
      setFormError(null)
      save.reset()
    }
    setOpen(o)
  }

  const submit = (e: FormEvent) => {
    e.preventDefault()
    const body = parseBudgetForm(limit, thresholds, tz)
    if (typeof body === 'string') {
      setFormError(body)
      return
    }
    setFormError(null)
    save.mutate(body, { onSuccess: () => setOpen(false) })
  }

  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogTrigger asChild>
        <Button data-testid="set-budget">{budget ? 'Edit budget' : 'Set budget'}</Button>
      </DialogTrigger>
      <DialogContent data-testid="budget-dialog" className="sm:max-w-md">
        <DialogHeader>
          <DialogTitle>Monthly budget</DialogTitle>
          <DialogDescription>Spend is compared with this limit each calendar month; crossing a threshold raises a warning.</DialogDescription>
        </DialogHeader>
        <form className="grid gap-4" onSubmit={submit} noValidate>
          {(formError || save.error) && (
            <Alert variant="destructive" data-testid="budget-error">
              <AlertDescription>{formError ?? errorMessage(save.error)}</AlertDescription>
            </Alert>
          )}
          <div className="grid gap-2">
            <Label htmlFor="budget-limit">Monthly limit (USD)</Label>
            <Input id="budget-limit" inputMode="decimal" value={limit} onChange={(e) => setLimit(e.target.value)} placeholder="1000" data-testid="budget-limit" />
          </div>
          <div className="grid gap-2">
            <Label htmlFor="budget-thresholds">Alert thresholds (% of the limit)</Label>
            <Input id="budget-thresholds" value={thresholds} onChange={(e) => setThresholds(e.target.value)} placeholder="80, 100" data-testid="budget-thresholds" />
          </div>
          <div className="grid gap-2">
            <Label htmlFor="budget-tz">Time zone of the month</Label>
            <Input id="budget-tz" value={tz} onChange={(e) => setTz(e.target.value)} placeholder="UTC" data-testid="budget-timezone" />
          </div>
          <DialogFooter>
            <Button type="button" variant="outline" onClick={() => setOpen(false)}>
              Cancel
            </Button>
            <Button type="submit" disabled={save.isPending} data-testid="budget-save">
              {save.isPending && <Loader2 className="animate-spin" aria-hidden="true" />}
              Save budget
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  )
}
