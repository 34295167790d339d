// A table that may scroll sideways on a narrow screen. The scroll box is a focusable region so a keyboard can
// scroll it, and the region is named by the table's own caption: one shared label would make every table's
// landmark the same, which screen readers list as indistinguishable regions.
import type { ComponentChildren } from 'preact'

export function ScrollTable({ id, caption, class: className, children }: { id: string; caption: ComponentChildren; class?: string; children: ComponentChildren }) {
  const captionId = `${id}-caption`
  return (
    <div class="table-wrap" tabindex={0} role="region" aria-labelledby={captionId}>
      <table id={id} class={className}>
        <caption id={captionId}>{caption}</caption>
        {children}
      </table>
    </div>
  )
}
