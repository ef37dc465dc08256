/** FakeSocket stands in for a WebSocket: tests open it and push server messages. */
export class FakeSocket {
  static all: FakeSocket[] = []
  readyState = 0
  sent: unknown[] = []
  onopen: (() => void) | null = null
  onmessage: ((ev: { data: string }) => void) | null = null
  onclose: (() => void) | null = null
  constructor(
    public url: string,
    public protocols: string[],
  ) {
    FakeSocket.all.push(this)
  }
  send(s: string) {
    this.sent.push(JSON.parse(s))
  }
  close() {
    this.readyState = 3
  }
  open() {
    this.readyState = 1
    this.onopen?.()
  }
  message(m: unknown) {
    this.onmessage?.({ data: JSON.stringify(m) })
  }
  drop() {
    this.readyState = 3
    this.onclose?.()
  }
}
