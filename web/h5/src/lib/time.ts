// Times arrive as UTC timestamps and are shown in Asia/Shanghai.
const fmt = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hour12: false,
})

export function shanghai(ts: string | undefined | null): string {
  if (!ts) return ''
  const d = new Date(ts)
  return Number.isNaN(d.getTime()) || d.getTime() <= 0 ? '' : fmt.format(d)
}
