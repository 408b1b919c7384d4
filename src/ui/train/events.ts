/** Events of the Train view's components, sent up to <lab-app> (properties down, events up). */

/** A Train setting's text changed: `field` is a run setting ("lr") or a model's ("models[2].clip"). */
export class TrainSettingEvent extends Event {
  static readonly type = 'train-setting';
  constructor(
    readonly field: string,
    readonly raw: string,
  ) {
    super(TrainSettingEvent.type, { bubbles: true, composed: true });
  }
}

export type TrainCommand = 'start' | 'pause' | 'resume' | 'step' | 'reset' | 'add-model' | 'remove-model' | 'csv' | 'bundle' | 'svg' | 'png' | 'defaults' | 'open-gradient';

/** A button of the Train view: run control, models added or removed, downloads. */
export class TrainCommandEvent extends Event {
  static readonly type = 'train-command';
  constructor(
    readonly command: TrainCommand,
    /** The model, for remove-model and open-gradient. */
    readonly model = -1,
    /** open-gradient: the checkpoint's iteration. */
    readonly iteration = -1,
  ) {
    super(TrainCommandEvent.type, { bubbles: true, composed: true });
  }
}

declare global {
  interface HTMLElementEventMap {
    'train-setting': TrainSettingEvent;
    'train-command': TrainCommandEvent;
  }
}

/** A story preset was chosen (train-presets.ts): its settings replace the view's and the run starts. */
export class TrainPresetEvent extends Event {
  static readonly type = 'train-preset';
  constructor(readonly id: string) {
    super(TrainPresetEvent.type, { bubbles: true, composed: true });
  }
}

declare global {
  interface HTMLElementEventMap {
    'train-preset': TrainPresetEvent;
  }
}
