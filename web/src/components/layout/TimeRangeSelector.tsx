import { useState } from 'react'
import { CalendarRange } from 'lucide-react'
import { Button } from '@/components/ui/button'
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from '@/components/ui/dialog'
import { Input } from '@/components/ui/input'
import { Label } from '@/components/ui/label'
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from '@/components/ui/select'
import { formatShortDateTime } from '@/lib/format'
import { PRESETS, RANGE_LABELS, type RangeKey, type TimeRange } from '@/lib/timerange'

/** toLocalInput writes an instant as the value of a datetime-local input (viewer's zone). */
export function toLocalInput(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`
}

interface Props {
  value: TimeRange
  onChange: (r: TimeRange) => void
}

/** TimeRangeSelector picks 1h, 24h, 7d, 30d or a custom from–to window. */
export function TimeRangeSelector({ value, onChange }: Props) {
  const [open, setOpen] = useState(false)
  const [from, setFrom] = useState('')
  const [to, setTo] = useState('')
  const [error, setError] = useState<string | null>(null)

  const openCustom = () => {
    const end = value.key === 'custom' && value.to ? new Date(value.to) : new Date()
    const start = value.key === 'custom' && value.from ? new Date(value.from) : new Date(end.getTime() - 86_400_000)
    setFrom(toLocalInput(start))
    setTo(toLocalInput(end))
    setError(null)
    setOpen(true)
  }

  const onSelect = (k: string) => {
    if (k === 'custom') {
      openCustom()
      return
    }
    onChange({ key: k as RangeKey })
  }

  const apply = () => {
    const f = new Date(from)
    const t = new Date(to)
    if (Number.isNaN(f.getTime()) || Number.isNaN(t.getTime())) {
      setError('Enter both a start and an end.')
      return
    }
    if (f >= t) {
      setError('The start must be before the end.')
      return
    }
    if (t.getTime() - f.getTime() > 400 * 86_400_000) {
      setError('A range can span at most 400 days.')
      return
    }
    onChange({ key: 'custom', from: f.toISOString(), to: t.toISOString() })
    setOpen(false)
  }

  const customLabel =
    value.key === 'custom' && value.from && value.to ? `${formatShortDateTime(value.from)} – ${formatShortDateTime(value.to)}` : RANGE_LABELS.custom

  return (
    <>
      <Select value={value.key} onValueChange={onSelect}>
        <SelectTrigger data-testid="time-range-select" aria-label="Time range" className="w-[10.5rem] sm:w-[12rem]">
          <CalendarRange className="size-4 opacity-60" aria-hidden="true" />
          <SelectValue placeholder="Select range">{value.key === 'custom' ? customLabel : RANGE_LABELS[value.key]}</SelectValue>
        </SelectTrigger>
        <SelectContent>
          {PRESETS.map((p) => (
            <SelectItem key={p} value={p} data-testid={`time-range-${p}`}>
              {RANGE_LABELS[p]}
            </SelectItem>
          ))}
          <SelectItem value="custom" data-testid="time-range-custom" onPointerUp={() => value.key === 'custom' && openCustom()}>
            {RANGE_LABELS.custom}…
          </SelectItem>
        </SelectContent>
      </Select>
      <Dialog open={open} onOpenChange={setOpen}>
        <DialogContent data-testid="custom-range-dialog" className="sm:max-w-md">
          <DialogHeader>
            <DialogTitle>Custom range</DialogTitle>
            <DialogDescription>Times are in your time zone.</DialogDescription>
          </DialogHeader>
          <form
            className="grid gap-4"
            onSubmit={(e) => {
              e.preventDefault()
              apply()
            }}
          >
            <div className="grid gap-2">
              <Label htmlFor="range-from">From</Label>
              <Input id="range-from" type="datetime-local" value={from} onChange={(e) => setFrom(e.target.value)} data-testid="custom-range-from" />
            </div>
            <div className="grid gap-2">
              <Label htmlFor="range-to">To</Label>
              <Input id="range-to" type="datetime-local" value={to} onChange={(e) => setTo(e.target.value)} data-testid="custom-range-to" />
            </div>
            {error && (
              <p role="alert" className="text-sm text-destructive">
                {error}
              </p>
            )}
            <DialogFooter>
              <Button type="button" variant="outline" onClick={() => setOpen(false)}>
                Cancel
              </Button>
              <Button type="submit" data-testid="custom-range-apply">
                Apply
              </Button>
            </DialogFooter>
          </form>
        </DialogContent>
      </Dialog>
    </>
  )
}
