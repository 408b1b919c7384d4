/**
 * The 3D surface's rho axis: its tick marks must not read as minus signs. Each label is centred a
 * little to the right of its mark (in x); a mark that points along x too is seen from the camera
 * as a short horizontal stroke just left of the number, and "1.4" reads "-1.4" (as it did).
 */
import { describe, expect, it } from 'vitest';
import { Vector3, type PerspectiveCamera } from 'three';
import { DEFAULT_POSE, poseCamera, rhoTicks, type CameraPose } from '../../src/ui/three/box.ts';

/** Pixel position of a world point in a width x height view. */
function toScreen(p: Vector3, camera: PerspectiveCamera, width: number, height: number): { x: number; y: number } {
  const v = p.clone().project(camera);
  return { x: ((v.x + 1) / 2) * width, y: ((1 - v.y) / 2) * height };
}

describe('3D surface rho ticks', () => {
  // The lab's default view (aspect 1.85, the panel at desktop size), compare mode's half panels
  // (about 1) and a phone's (about 1.2), and views orbited by up to 40 degrees either way.
  const views: { pose: CameraPose; aspect: number }[] = [
    { pose: DEFAULT_POSE, aspect: 1.85 },
    { pose: DEFAULT_POSE, aspect: 1 },
    { pose: [DEFAULT_POSE[0] - 40, 20, 4.6], aspect: 1.4 },
    { pose: [DEFAULT_POSE[0] + 40, 45, 4.6], aspect: 1.4 },
  ];
  for (const { pose, aspect } of views) {
    it(`marks are not horizontal strokes before their labels (pose ${pose.join(', ')}, aspect ${aspect})`, () => {
      const W = Math.round(400 * aspect);
      const Hpx = 400;
      const camera = poseCamera(pose, aspect);
      const ticks = rhoTicks(0.5, 1.5);
      expect(ticks.map((t) => t.label)).toEqual(['0.6', '0.8', '1.0', '1.2', '1.4']);
      for (const t of ticks) {
        const a = toScreen(t.mark[0], camera, W, Hpx);
        const b = toScreen(t.mark[1], camera, W, Hpx);
        const label = toScreen(t.at, camera, W, Hpx);
        // A stroke reads as a minus when it is more horizontal than vertical (under 45 degrees).
        const angle = (Math.atan2(Math.abs(b.y - a.y), Math.abs(b.x - a.x)) * 180) / Math.PI;
        expect(angle, `tick ${t.label}: its mark is ${angle.toFixed(0)} degrees from horizontal`).toBeGreaterThan(45);
        // In the default view the label sits to the right of the mark, clear of it (at least
        // 6 px between the mark and the label's centre, so the text does not cover it).
        if (pose === DEFAULT_POSE) expect(label.x - Math.max(a.x, b.x), `tick ${t.label}`).toBeGreaterThan(6);
      }
    });
  }
});
