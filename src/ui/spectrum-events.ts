/** The eigenvalue editor's events (<lab-spectrum> with an editor): properties down, events up. */
import type { SpectrumEdit } from '../core/spectrum-edit.ts';

/**
 * An edit of the spectrum init's eigenvalues, in the plot's coordinates. mode 'drag': part of a
 * drag (pointer or held arrow key), a SpectrumDragEndEvent follows; 'commit': a whole edit (add, remove).
 */
export class SpectrumEditEvent extends Event {
  static readonly type = 'lab-spectrum-edit';
  constructor(
    readonly edit: SpectrumEdit,
    readonly mode: 'drag' | 'commit',
  ) {
    super(SpectrumEditEvent.type, { bubbles: true, composed: true });
  }
}

/** The drag ended (pointer up or cancelled, arrow key released, handle left): the full sweep may run. */
export class SpectrumDragEndEvent extends Event {
  static readonly type = 'lab-spectrum-drag-end';
  constructor() {
    super(SpectrumDragEndEvent.type, { bubbles: true, composed: true });
  }
}

/** Untied weights: show the eigenvalues of layer t's W0_t (1..T) instead. */
export class SpectrumLayerEvent extends Event {
  static readonly type = 'lab-spectrum-layer';
  constructor(readonly t: number) {
    super(SpectrumLayerEvent.type, { bubbles: true, composed: true });
  }
}

declare global {
  interface HTMLElementEventMap {
    'lab-spectrum-edit': SpectrumEditEvent;
    'lab-spectrum-drag-end': SpectrumDragEndEvent;
    'lab-spectrum-layer': SpectrumLayerEvent;
  }
}
