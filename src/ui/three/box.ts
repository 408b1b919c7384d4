/**
 * The box the 3D surface lives in (world units: t along x, rho along z, the value along y), the
 * camera's pose about it, and where the rho axis puts its tick marks and labels. Pure three.js
 * math with no renderer, so the geometry is tested in Node (tests/ui/surface-box.test.ts).
 */
import { PerspectiveCamera, Vector3 } from 'three';
import { labelledTicks, type Tick } from '../../export/ticks.ts';

export const X0 = -1;
export const X1 = 1;
/** rho min (front). */
export const Z0 = 0.75;
/** rho max (back). */
export const Z1 = -0.75;
export const H = 0.9;
export const TARGET = new Vector3(0.05, H * 0.28, 0);

/** Camera as [azimuth deg, elevation deg, distance] about the box centre. */
export type CameraPose = [number, number, number];
export const DEFAULT_POSE: CameraPose = [-28, 28, 4.6];

/** The camera's position for a pose: on a sphere of radius `dist` about TARGET. */
export function posePosition([az, el, dist]: CameraPose): Vector3 {
  const a = (az * Math.PI) / 180;
  const e = (el * Math.PI) / 180;
  return new Vector3(TARGET.x + dist * Math.cos(e) * Math.sin(a), TARGET.y + dist * Math.sin(e), TARGET.z + dist * Math.cos(e) * Math.cos(a));
}

/** The scene's camera (field of view 28 degrees) at a pose, for a view of the given aspect. */
export function poseCamera(pose: CameraPose, aspect: number): PerspectiveCamera {
  const camera = new PerspectiveCamera(28, aspect, 0.05, 50);
  camera.position.copy(posePosition(pose));
  camera.lookAt(TARGET);
  camera.updateMatrixWorld();
  camera.updateProjectionMatrix();
  return camera;
}

/** The depth (z) of a rho value on the box: rho min at the front, rho max at the back. */
export function zOfRho(rho: number, lo: number, hi: number): number {
  return hi > lo ? Z0 + ((Z1 - Z0) * (rho - lo)) / (hi - lo) : 0;
}

export interface AxisTick extends Tick {
  /** The tick mark, a short segment from the axis edge. */
  mark: [Vector3, Vector3];
  /** Where its label is centred. */
  at: Vector3;
}

/**
 * The rho ticks along the top right edge of the box (on the floor they sat behind the surface
 * where it rises, near t = T, and seemed to float over it). The mark hangs down from the edge:
 * a mark pointing out along x, towards its label, is seen from the default view as a short
 * horizontal stroke just left of the number, and "1.4" read as "-1.4".
 */
export function rhoTicks(lo: number, hi: number): AxisTick[] {
  return labelledTicks(lo, hi, 5).map((t) => {
    const z = zOfRho(t.value, lo, hi);
    return { ...t, mark: [new Vector3(X1, H, z), new Vector3(X1, H - 0.05, z)], at: new Vector3(X1 + 0.12, H, z) };
  });
}
