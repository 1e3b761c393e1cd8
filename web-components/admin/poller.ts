import type { ReactiveController, ReactiveControllerHost } from 'lit';

/**
 * Runs `poll` as soon as the host is connected, then every `ms` while the page is visible (and
 * at once when it is shown again), never two at a time; stops when the host is disconnected.
 */
export class Poller implements ReactiveController {
  private timer?: ReturnType<typeof setInterval>;
  private running = false;
  private readonly onVisible = () => {
    if (document.visibilityState === 'visible') void this.now();
  };

  constructor(
    host: ReactiveControllerHost,
    private readonly ms: number,
    private readonly poll: () => Promise<void>,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    void this.now();
    this.timer = setInterval(this.onVisible, this.ms);
    document.addEventListener('visibilitychange', this.onVisible);
  }

  hostDisconnected(): void {
    clearInterval(this.timer);
    document.removeEventListener('visibilitychange', this.onVisible);
  }

  /** Polls now (after an action), unless a poll is under way. */
  async now(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.poll();
    } finally {
      this.running = false;
    }
  }
}
