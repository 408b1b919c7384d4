/**
 * A reactive controller that tracks the size of a component's `.plot` element with a
 * ResizeObserver and re-renders its host when it changes; it lives and dies with the host.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';

export class PlotSizeController implements ReactiveController {
  /** The plot element's content box, whole pixels; 0 x 0 until first laid out. */
  size = { w: 0, h: 0 };
  private observer: ResizeObserver | null = null;
  private readonly host: ReactiveControllerHost & HTMLElement;
  private readonly selector: string;

  constructor(host: ReactiveControllerHost & HTMLElement, selector = '.plot') {
    this.host = host;
    this.selector = selector;
    host.addController(this);
  }

  hostConnected(): void {
    this.observer = new ResizeObserver((entries) => {
      const r = entries[0].contentRect;
      const next = { w: Math.floor(r.width), h: Math.floor(r.height) };
      if (next.w === this.size.w && next.h === this.size.h) return;
      this.size = next;
      this.host.requestUpdate();
    });
    void this.host.updateComplete.then(() => {
      const plot = (this.host.shadowRoot ?? this.host).querySelector(this.selector);
      if (plot) this.observer?.observe(plot);
    });
  }

  hostDisconnected(): void {
    this.observer?.disconnect();
    this.observer = null;
  }
}
