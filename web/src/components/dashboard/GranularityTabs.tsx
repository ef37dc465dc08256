import { ToggleGroup, ToggleGroupItem } from '@/components/ui/toggle-group'
import type { Granularity } from '@/api/types'

const LABELS: Record<Granularity, string> = { '5m': '5 min', hourly: 'Hourly', daily: 'Daily', weekly: 'Weekly' }

/** GranularityTabs switches a series between bucket sizes that fit the window. */
export function GranularityTabs({ value, options, onChange, testId = 'granularity-tabs' }: { value: Granularity; options: Granularity[]; onChange: (g: Granularity) => void; testId?: string }) {
  return (
    <ToggleGroup
      type="single"
      value={value}
      // Radix sends "" when the selected item is clicked again; keep the current one.
      onValueChange={(v) => v && onChange(v as Granularity)}
      data-testid={testId}
      aria-label="Granularity"
    >
      {options.map((g) => (
        <ToggleGroupItem key={g} value={g} data-testid={`granularity-${g}`}>
          {LABELS[g]}
        </ToggleGroupItem>
      ))}
    </ToggleGroup>
  )
}
