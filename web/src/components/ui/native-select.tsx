import * as React from 'react'
import { cn } from '@/lib/cn'

/** NativeSelect is the browser's own <select>, styled like Input: forms that need a plain value. */
function NativeSelect({ className, ...props }: React.ComponentProps<'select'>) {
  return <select data-slot="native-select" className={cn('h-9 w-full rounded-md border border-input bg-transparent px-3 text-sm shadow-xs', className)} {...props} />
}

export { NativeSelect }
