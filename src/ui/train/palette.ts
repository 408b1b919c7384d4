/** One colour per model, the same in the lab's charts and the exported loss chart. */
export { MODEL_COLOURS, modelColour } from '../../export/train-figure.ts';
