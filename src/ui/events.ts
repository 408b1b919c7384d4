/** Typed events the components send up to <lab-app> (properties down, events up). */
import type { FieldName } from '../core/config.ts';
import type { ExportFormat, ExportOptions } from '../app/downloads.ts';
import type { ViewState } from '../app/state.ts';

/** A config control changed; raw is its text (validated by the store, not here). */
export class FieldChangeEvent extends Event {
  static readonly type = 'lab-field';
  constructor(
    readonly name: FieldName,
    readonly raw: string,
  ) {
    super(FieldChangeEvent.type, { bubbles: true, composed: true });
  }
}

/** A view setting changed (slider, field shown, overlays, compare, camera). */
export class ViewChangeEvent extends Event {
  static readonly type = 'lab-view';
  constructor(readonly patch: Partial<ViewState>) {
    super(ViewChangeEvent.type, { bubbles: true, composed: true });
  }
}

/** A preset was picked. */
export class PresetEvent extends Event {
  static readonly type = 'lab-preset';
  constructor(readonly id: string) {
    super(PresetEvent.type, { bubbles: true, composed: true });
  }
}

/** A download of the run on screen was asked for (options: the PNG's scale, the surface image's size). */
export class ExportEvent extends Event {
  static readonly type = 'lab-export';
  constructor(
    readonly format: ExportFormat,
    readonly options: ExportOptions = {},
  ) {
    super(ExportEvent.type, { bubbles: true, composed: true });
  }
}

/** A run bundle was picked to open (file input or drop). */
export class ImportFileEvent extends Event {
  static readonly type = 'lab-import';
  constructor(readonly file: File) {
    super(ImportFileEvent.type, { bubbles: true, composed: true });
  }
}

/** Lock the colour range of the field shown at these ends (null: unlock, back to the auto, noise-aware range). */
export class ColourLockEvent extends Event {
  static readonly type = 'lab-colour-lock';
  constructor(readonly range: { min: number; max: number } | null) {
    super(ColourLockEvent.type, { bubbles: true, composed: true });
  }
}

/** Recompute the run on screen from its config (e.g. an imported one). */
export class RecomputeEvent extends Event {
  static readonly type = 'lab-recompute';
  constructor() {
    super(RecomputeEvent.type, { bubbles: true, composed: true });
  }
}

declare global {
  interface HTMLElementEventMap {
    'lab-export': ExportEvent;
    'lab-import': ImportFileEvent;
    'lab-recompute': RecomputeEvent;
    'lab-colour-lock': ColourLockEvent;
    'lab-field': FieldChangeEvent;
    'lab-view': ViewChangeEvent;
    'lab-preset': PresetEvent;
  }
}
