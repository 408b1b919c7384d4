/**
 * The 3D surface of a (rho, t) field with three.js: x = timestep t, depth = rho, height = the
 * value (log10 ||dL/dh_t|| by default). No Lit in here: the <lab-surface> element owns one
 * SurfaceScene, feeds it data and disposes it.
 *
 * Rendering is on demand (after data, slice, camera or size changes), never in a loop.
 * New data or a new theme update the surface in place: its typed arrays are rewritten and
 * flagged (attr.needsUpdate), so three.js re-uploads them to the buffers it has; a geometry is
 * made only when the mesh's shape (rows x columns) changes, and the axes and their labels only
 * when what they show changes. Every geometry, material and texture this class creates it also
 * disposes.
 */
import {
  AmbientLight,
  BufferAttribute,
  BufferGeometry,
  Color,
  DirectionalLight,
  DoubleSide,
  Group,
  Line,
  LineBasicMaterial,
  LineDashedMaterial,
  LineSegments,
  Mesh,
  MeshBasicMaterial,
  MeshLambertMaterial,
  PerspectiveCamera,
  Scene,
  Vector2,
  Vector3,
  WebGLRenderer,
} from 'three';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';
import { CSS2DObject, CSS2DRenderer } from 'three/examples/jsm/renderers/CSS2DRenderer.js';
import { probeWebGl2 } from '../../app/calibrate.ts';
import { cellColourInto, isOverflowCell, OVERFLOW_SOLID, rangePosition, type CellCounts, type ColormapName, type ColourRange } from '../../export/colormap.ts';
import { labelledTicks, stepTicks } from '../../export/ticks.ts';
import { DEFAULT_POSE, H, posePosition, rhoTicks, TARGET, X0, X1, Z0, Z1, zOfRho, type CameraPose } from './box.ts';

export interface SurfaceData {
  /** [K, T] row-major, column j = timestep t = j + 1. */
  values: Float64Array;
  /** [K, T] 1 = overflow (drawn distinctly, never as a number). */
  overflow: Uint8Array;
  K: number;
  T: number;
  /** [K] the swept rho values (or outlier magnitudes). */
  rho: Float64Array;
  /** The swept axis's symbol (ρ, or |λ₁| for the outlier axis); ρ when absent. */
  axis?: string;
  /** Colour and height range (src/export/colormap.ts: the heatmaps' and the figures' colours). */
  range: ColourRange;
  /** Cells drawn otherwise than as their value, for the legend. */
  counts: CellCounts;
  colormap: ColormapName;
  /** Axis title of the height, e.g. "log10 ||dL/dh_t||". */
  valueLabel: string;
}

export { DEFAULT_POSE, type CameraPose } from './box.ts';
/**
 * The surface is drawn with at most this many columns / rows (wide sweeps are subsampled; the
 * heatmap shows every cell). A software GL (SwiftShader) rasterises on the CPU, so there the
 * mesh is smaller and multisampling is off, or dragging the slider would stall the page.
 */
/** Least time between two renders on a software GL (ms). */
const SOFTWARE_FRAME_MS = 90;
/** Below this view width (CSS px: a phone, a half-width panel on a tablet) the axis labels are set smaller. */
export const NARROW_VIEW_PX = 520;
const MESH_CAP = { hardware: { cols: 400, rows: 256 }, software: { cols: 160, rows: 96 } };

/** Whether WebGL runs on a software rasteriser (SwiftShader, llvmpipe), asked once (app/calibrate.ts's probe). */
let softwareGl: boolean | null = null;
export function isSoftwareGl(): boolean {
  softwareGl ??= probeWebGl2().software;
  return softwareGl;
}

/** sRGB byte to the linear value three.js expects in vertex colours. */
function srgbToLinear(c: number): number {
  const s = c / 255;
  return s <= 0.04045 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4);
}

export class SurfaceScene {
  readonly canvas: HTMLCanvasElement;
  private renderer: WebGLRenderer;
  private labels: CSS2DRenderer;
  private scene = new Scene();
  private camera = new PerspectiveCamera(28, 1, 0.05, 50);
  private controls: OrbitControls;
  /** Everything that depends on the data: the surface, the axes group and the rho = 1 lines. */
  private dataGroup = new Group();
  /** Axes, ticks, grid lines and labels; rebuilt only when axesKey changes. */
  private axesGroup = new Group();
  private axesKey = '';
  /** The surface (a mesh, or a line for one rho or one step) whose arrays setData rewrites in place. */
  private surface: { object: Mesh | Line; rows: number; cols: number } | null = null;
  /** The rho = 1 curve over the surface and its line on the floor, updated in place while cols stays. */
  private rhoOne: { curve: Line; floor: Line; cols: number } | null = null;
  /** Surface geometries made so far: one per mesh shape, not one per data or theme change (tests read it). */
  private surfaceBuilds = 0;
  private sliceGroup = new Group();
  private data: SurfaceData | null = null;
  private sliceK = 0;
  private frame = 0;
  private dark = false;
  private disposed = false;
  private onCamera: (pose: CameraPose | null) => void;
  private suppressCameraEvent = false;
  private readonly software: boolean;
  /**
   * Materials live as long as the scene: re-creating them per update would make three.js
   * recompile shader programs, which costs hundreds of ms on a software GL (SwiftShader).
   */
  private readonly mats = {
    surface: new MeshLambertMaterial({ vertexColors: true, side: DoubleSide }),
    vertexLine: new LineBasicMaterial({ vertexColors: true }),
    frame: new LineBasicMaterial({ color: 0x333a44 }),
    top: new LineBasicMaterial({ color: 0x333a44, transparent: true, opacity: 0.3 }),
    grid: new LineBasicMaterial({ color: 0x333a44, transparent: true, opacity: 0.18 }),
    rhoOne: new LineDashedMaterial({ color: 0xff8c1a, dashSize: 0.03, gapSize: 0.02 }),
    rhoOneFloor: new LineBasicMaterial({ color: 0xff8c1a }),
    slice: new LineBasicMaterial({ color: 0x000000 }),
    curtain: new MeshBasicMaterial({ color: 0x3050a0, transparent: true, opacity: 0.12, side: DoubleSide, depthWrite: false }),
  };

  /** onCamera: the user moved the camera (null: back to the default view). */
  constructor(private readonly host: HTMLElement, onCamera: (pose: CameraPose | null) => void) {
    this.onCamera = onCamera;
    this.software = isSoftwareGl();
    this.renderer = new WebGLRenderer({ antialias: !this.software, preserveDrawingBuffer: true });
    this.renderer.setPixelRatio(Math.min(window.devicePixelRatio || 1, 2));
    this.canvas = this.renderer.domElement;
    this.canvas.setAttribute('role', 'img');
    this.canvas.setAttribute('aria-label', '3D surface; focus it and use the arrow keys to pan, Shift+arrows to rotate');
    this.canvas.tabIndex = 0;
    this.canvas.style.display = 'block';
    this.canvas.addEventListener('webglcontextlost', this.onContextLost);
    this.canvas.addEventListener('webglcontextrestored', this.onContextRestored);
    host.appendChild(this.canvas);
    this.labels = new CSS2DRenderer();
    const el = this.labels.domElement;
    el.style.position = 'absolute';
    el.style.inset = '0';
    el.style.pointerEvents = 'none';
    host.appendChild(el);

    this.scene.add(new AmbientLight(0xffffff, 2.2));
    const sun = new DirectionalLight(0xffffff, 1.1);
    sun.position.set(-1, 3, 2);
    this.scene.add(sun);
    this.dataGroup.add(this.axesGroup);
    this.scene.add(this.dataGroup, this.sliceGroup);

    this.controls = new OrbitControls(this.camera, this.canvas);
    this.controls.target.copy(TARGET);
    this.controls.enableDamping = false;
    this.controls.minDistance = 1.2;
    this.controls.maxDistance = 10;
    this.controls.addEventListener('change', this.onControlsChange);
    // Keyboard: arrows pan, Shift/Ctrl+arrows rotate (OrbitControls' own key handling).
    this.controls.listenToKeyEvents(this.canvas);
    this.setPose(DEFAULT_POSE);
  }

  /** Whether the WebGL context is lost now (a GPU reset, or the browser reclaimed it). */
  contextLost = false;
  /** Told true when the context is lost, false once it is restored and the surface redrawn. */
  onContextChange: ((lost: boolean) => void) | null = null;

  private onContextLost = (e: Event) => {
    e.preventDefault(); // ask the browser to restore the context
    this.contextLost = true;
    this.onContextChange?.(true);
  };

  private onContextRestored = () => {
    // three.js re-creates its GL state on restore; the data's buffers are uploaded again.
    this.contextLost = false;
    if (this.data) this.setData(this.data);
    this.setSlice(this.sliceK);
    this.renderNow();
    this.onContextChange?.(false);
  };

  private onControlsChange = () => {
    this.labelsDirty = true;
    this.requestRender();
    if (!this.suppressCameraEvent) this.onCamera(this.pose());
  };

  /** Current camera pose. */
  pose(): CameraPose {
    const v = this.camera.position.clone().sub(this.controls.target);
    const dist = v.length();
    const el = (Math.asin(Math.max(-1, Math.min(1, v.y / dist))) * 180) / Math.PI;
    const az = (Math.atan2(v.x, v.z) * 180) / Math.PI;
    return [az, el, dist];
  }

  setPose(pose: CameraPose | null): void {
    const [az, el, dist] = pose ?? DEFAULT_POSE;
    const cur = this.pose();
    if (pose && Math.abs(cur[0] - az) < 0.05 && Math.abs(cur[1] - el) < 0.05 && Math.abs(cur[2] - dist) < 0.005) return;
    this.controls.target.copy(TARGET);
    this.camera.position.copy(posePosition([az, el, dist]));
    this.camera.lookAt(TARGET);
    this.labelsDirty = true;
    this.suppressCameraEvent = true;
    this.controls.update();
    this.suppressCameraEvent = false;
    this.requestRender();
  }

  setTheme(dark: boolean): void {
    this.dark = dark;
    const fg = dark ? 0xd6dae0 : 0x333a44;
    this.mats.frame.color.setHex(fg);
    this.mats.top.color.setHex(fg);
    this.mats.grid.color.setHex(fg);
    this.mats.slice.color.setHex(dark ? 0xffffff : 0x000000);
    this.mats.curtain.color.setHex(dark ? 0xffffff : 0x3050a0);
    this.renderer.setClearColor(new Color(dark ? 0x15181d : 0xffffff), 1);
    // Only materials and the clear colour change: the geometry stays as it is.
    this.requestRender();
  }

  resize(width: number, height: number): void {
    if (width < 2 || height < 2) return;
    this.renderer.setSize(width, height, false);
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${height}px`;
    this.labels.setSize(width, height);
    // A narrow view (a phone, a half-width panel) sets its labels smaller (surface CSS: .narrow .lbl).
    this.labels.domElement.classList.toggle('narrow', width < NARROW_VIEW_PX);
    this.labelsDirty = true;
    this.fitAspect(width / height);
    this.renderNow();
  }

  /**
   * The default pose frames the box and its labels in a view about 1.85 times as wide as high;
   * a narrower view (compare mode's half-width panels) zooms out so the axes stay inside.
   */
  private fitAspect(aspect: number): void {
    this.camera.aspect = aspect;
    this.camera.zoom = Math.min(1, aspect / 1.85);
    this.camera.updateProjectionMatrix();
  }

  private xOf(j: number, T: number): number {
    return T <= 1 ? 0 : X0 + ((X1 - X0) * j) / (T - 1);
  }
  private zOfRho(rho: number, rhoArr: Float64Array): number {
    return zOfRho(rho, rhoArr[0], rhoArr[rhoArr.length - 1]);
  }
  /** Height of a cell: overflow on top (drawn distinctly), -Infinity on the floor. */
  private yOf(v: number, flag: number, r: ColourRange): number {
    return isOverflowCell(v, flag) ? H : rangePosition(v, r) * H;
  }

  /** Remove and dispose a group's geometries and labels (materials are the scene's, kept). */
  private clearGroup(g: Group): void {
    for (const child of [...g.children]) {
      g.remove(child);
      child.traverse((o) => {
        (o as Mesh).geometry?.dispose();
        if (o instanceof CSS2DObject) o.element.remove();
      });
    }
  }

  /** Columns and rows of the surface drawn for d: timestep and rho indices (wide sweeps are subsampled). */
  private meshGrid(d: SurfaceData): { cols: number[]; rows: number[] } {
    const cap = this.software ? MESH_CAP.software : MESH_CAP.hardware;
    const nc = Math.min(d.T, cap.cols);
    const nr = Math.min(d.K, cap.rows);
    return {
      cols: Array.from({ length: nc }, (_, c) => (nc === 1 ? 0 : Math.round((c * (d.T - 1)) / (nc - 1)))),
      rows: Array.from({ length: nr }, (_, r) => (nr === 1 ? 0 : Math.round((r * (d.K - 1)) / (nr - 1)))),
    };
  }

  /** A surface of nr x nc vertices with zeroed arrays (setData fills them), replacing the old one. */
  private buildSurface(nr: number, nc: number): void {
    if (this.surface) {
      this.dataGroup.remove(this.surface.object);
      this.surface.object.geometry.dispose();
    }
    const geo = new BufferGeometry();
    geo.setAttribute('position', new BufferAttribute(new Float32Array(nr * nc * 3), 3)); // [rows, cols, xyz]
    geo.setAttribute('color', new BufferAttribute(new Float32Array(nr * nc * 3), 3)); // [rows, cols, rgb] linear
    let object: Mesh | Line;
    if (nr > 1 && nc > 1) {
      const idx = new Uint32Array((nr - 1) * (nc - 1) * 6); // two triangles per cell
      let p = 0;
      for (let r = 0; r < nr - 1; r++)
        for (let c = 0; c < nc - 1; c++) {
          const a = r * nc + c;
          const b = a + 1;
          const e = a + nc;
          const f = e + 1;
          idx.set([a, e, b, b, e, f], p);
          p += 6;
        }
      geo.setIndex(new BufferAttribute(idx, 1));
      object = new Mesh(geo, this.mats.surface);
    } else {
      // One rho or one step: a ribbon is meaningless; draw the data as a line.
      object = new Line(geo, this.mats.vertexLine);
    }
    object.name = 'surface';
    // Everything lies inside the box the camera looks at: culling would only cost time.
    object.frustumCulled = false;
    this.dataGroup.add(object);
    this.surface = { object, rows: nr, cols: nc };
    this.surfaceBuilds++;
  }

  setData(d: SurfaceData): void {
    this.data = d;
    const { T, values, overflow, range } = d;
    const { cols, rows } = this.meshGrid(d);
    const nr = rows.length;
    const nc = cols.length;
    if (!this.surface || this.surface.rows !== nr || this.surface.cols !== nc) this.buildSurface(nr, nc);
    const geo = this.surface!.object.geometry;
    const posAttr = geo.getAttribute('position') as BufferAttribute;
    const colAttr = geo.getAttribute('color') as BufferAttribute;
    const pos = posAttr.array as Float32Array;
    const col = colAttr.array as Float32Array;
    const rgb: number[] = [0, 0, 0];
    for (let r = 0; r < nr; r++) {
      const k = rows[r];
      const z = this.zOfRho(d.rho[k], d.rho);
      for (let c = 0; c < nc; c++) {
        const j = cols[c];
        const v = values[k * T + j];
        const f = overflow[k * T + j];
        const o = (r * nc + c) * 3;
        pos[o] = this.xOf(j, T);
        pos[o + 1] = this.yOf(v, f, range);
        pos[o + 2] = nr === 1 ? 0 : z;
        if (!cellColourInto(rgb, 0, v, f, range, d.colormap)) [rgb[0], rgb[1], rgb[2]] = OVERFLOW_SOLID;
        col[o] = srgbToLinear(rgb[0]);
        col[o + 1] = srgbToLinear(rgb[1]);
        col[o + 2] = srgbToLinear(rgb[2]);
      }
    }
    posAttr.needsUpdate = true;
    colAttr.needsUpdate = true;
    // Rewrites the existing normal attribute (and flags it) once there is one.
    if (this.surface!.object instanceof Mesh) geo.computeVertexNormals();
    const key = [d.T, d.K, d.rho[0], d.rho[d.K - 1], range.min, range.max, d.valueLabel, d.axis].join('|');
    if (key !== this.axesKey) {
      this.clearGroup(this.axesGroup);
      this.addAxes(d);
      this.axesKey = key;
      this.labelsDirty = true;
    }
    this.updateRhoOne(d, cols);
    this.setSlice(this.sliceK);
  }

  private label(text: string, at: Vector3, cls: string): CSS2DObject {
    const el = document.createElement('div');
    el.className = `lbl ${cls}`;
    el.textContent = text;
    const o = new CSS2DObject(el);
    o.position.copy(at);
    this.axesGroup.add(o);
    return o;
  }

  private addAxes(d: SurfaceData): void {
    const seg: number[] = [];
    const line = (a: number[], b: number[]) => seg.push(...a, ...b);
    // Floor frame and the two back walls' edges.
    line([X0, 0, Z0], [X1, 0, Z0]);
    line([X1, 0, Z0], [X1, 0, Z1]);
    line([X1, 0, Z1], [X0, 0, Z1]);
    line([X0, 0, Z1], [X0, 0, Z0]);
    line([X0, 0, Z1], [X0, H, Z1]);
    line([X1, 0, Z1], [X1, H, Z1]);
    line([X0, 0, Z0], [X0, H, Z0]);
    // The top of the box, faint, so heights read against it.
    const top: number[] = [X0, H, Z0, X1, H, Z0, X1, H, Z0, X1, H, Z1, X1, H, Z1, X0, H, Z1, X0, H, Z1, X0, H, Z0, X1, 0, Z0, X1, H, Z0];
    const grid: number[] = [];
    // t ticks along the front edge.
    for (const t of stepTicks(d.T, 6)) {
      const x = this.xOf(t.value - 1, d.T);
      line([x, 0, Z0], [x, 0, Z0 + 0.04]);
      grid.push(x, 0, Z0, x, 0, Z1);
      this.label(t.label, new Vector3(x, 0, Z0 + 0.1), 'tick tick-t');
    }
    this.label('timestep t', new Vector3(0, 0, Z0 + 0.24), 'title');
    // rho ticks along the top right edge of the box (box.ts: why the marks hang down).
    for (const tick of rhoTicks(d.rho[0], d.rho[d.K - 1])) {
      line(tick.mark[0].toArray(), tick.mark[1].toArray());
      grid.push(X0, 0, tick.mark[0].z, X1, 0, tick.mark[0].z);
      this.label(tick.label, tick.at, 'tick tick-rho');
    }
    this.label(d.axis ?? 'ρ', new Vector3(X1 + 0.26, H, Z0 + 0.1), 'title axis-rho');
    // Value ticks up the back-left edge.
    for (const v of labelledTicks(d.range.min, d.range.max, 4)) {
      const y = rangePosition(v.value, d.range) * H;
      line([X0, y, Z1], [X0 - 0.04, y, Z1]);
      grid.push(X0, y, Z1, X1, y, Z1);
      this.label(v.label, new Vector3(X0 - 0.12, y, Z1), 'tick tick-v');
    }
    this.label(d.valueLabel, new Vector3(X0 - 0.1, H + 0.12, Z1), 'title');
    const mk = (arr: number[], mat: LineBasicMaterial) => {
      const g = new BufferGeometry();
      g.setAttribute('position', new BufferAttribute(new Float32Array(arr), 3));
      const lines = new LineSegments(g, mat);
      lines.frustumCulled = false;
      this.axesGroup.add(lines);
    };
    mk(seg, this.mats.frame);
    mk(top, this.mats.top);
    mk(grid, this.mats.grid);
  }

  private dropRhoOne(): void {
    if (!this.rhoOne) return;
    for (const l of [this.rhoOne.curve, this.rhoOne.floor]) {
      this.dataGroup.remove(l);
      l.geometry.dispose();
    }
    this.rhoOne = null;
  }

  /** The rho = 1 curve across the surface (interpolated between rows) and on the floor, in place while the columns stay. */
  private updateRhoOne(d: SurfaceData, cols: number[]): void {
    const r0 = d.rho[0];
    const r1 = d.rho[d.K - 1];
    if (!(r0 <= 1 && r1 >= 1) || d.K < 2) return this.dropRhoOne();
    const nc = cols.length;
    if (!this.rhoOne || this.rhoOne.cols !== nc) {
      this.dropRhoOne();
      const g = new BufferGeometry();
      g.setAttribute('position', new BufferAttribute(new Float32Array(nc * 3), 3)); // [cols, xyz]
      g.setAttribute('lineDistance', new BufferAttribute(new Float32Array(nc), 1)); // [cols] for the dashes
      const fg = new BufferGeometry();
      fg.setAttribute('position', new BufferAttribute(new Float32Array(6), 3));
      this.rhoOne = { curve: new Line(g, this.mats.rhoOne), floor: new Line(fg, this.mats.rhoOneFloor), cols: nc };
      this.rhoOne.curve.frustumCulled = false;
      this.rhoOne.floor.frustumCulled = false;
      this.dataGroup.add(this.rhoOne.curve, this.rhoOne.floor);
    }
    const z = this.zOfRho(1, d.rho);
    let k = 0;
    while (k < d.K - 2 && d.rho[k + 1] < 1) k++;
    const w = (1 - d.rho[k]) / (d.rho[k + 1] - d.rho[k] || 1);
    const posAttr = this.rhoOne.curve.geometry.getAttribute('position') as BufferAttribute;
    const distAttr = this.rhoOne.curve.geometry.getAttribute('lineDistance') as BufferAttribute;
    const pts = posAttr.array as Float32Array;
    const dist = distAttr.array as Float32Array;
    for (let c = 0; c < nc; c++) {
      const j = cols[c];
      const a = d.values[k * d.T + j];
      const b = d.values[(k + 1) * d.T + j];
      const fa = d.overflow[k * d.T + j] | d.overflow[(k + 1) * d.T + j];
      const y = fa ? H : (1 - w) * this.yOf(a, 0, d.range) + w * this.yOf(b, 0, d.range);
      pts[3 * c] = this.xOf(j, d.T);
      pts[3 * c + 1] = y + 0.004;
      pts[3 * c + 2] = z;
      // Distance along the curve, what LineDashedMaterial spaces its dashes by (Line.computeLineDistances, in place).
      dist[c] = c === 0 ? 0 : dist[c - 1] + Math.hypot(pts[3 * c] - pts[3 * c - 3], pts[3 * c + 1] - pts[3 * c - 2], pts[3 * c + 2] - pts[3 * c - 1]);
    }
    posAttr.needsUpdate = true;
    distAttr.needsUpdate = true;
    const floorAttr = this.rhoOne.floor.geometry.getAttribute('position') as BufferAttribute;
    (floorAttr.array as Float32Array).set([X0, 0, z, X1, 0, z]);
    floorAttr.needsUpdate = true;
  }

  /** Highlight row k: a line on the surface and a translucent curtain through it. */
  /** The slice line and the curtain, kept and updated in place while T stays the same. */
  private slice: { line: Line; curtain: Mesh; T: number } | null = null;

  setSlice(k: number): void {
    this.sliceK = k;
    const d = this.data;
    if (!d || k < 0 || k >= d.K) {
      this.clearGroup(this.sliceGroup);
      this.slice = null;
      return this.requestRender();
    }
    if (!this.slice || this.slice.T !== d.T) {
      this.clearGroup(this.sliceGroup);
      const g = new BufferGeometry();
      g.setAttribute('position', new BufferAttribute(new Float32Array(d.T * 3), 3)); // [T, xyz]
      const cg = new BufferGeometry();
      // A vertical rectangle (two triangles) in the plane z = 0, moved to the slice's z.
      cg.setAttribute('position', new BufferAttribute(new Float32Array([X0, 0, 0, X1, 0, 0, X0, H, 0, X1, 0, 0, X1, H, 0, X0, H, 0]), 3));
      this.slice = { line: new Line(g, this.mats.slice), curtain: new Mesh(cg, this.mats.curtain), T: d.T };
      this.slice.line.frustumCulled = false;
      this.slice.curtain.frustumCulled = false;
      this.sliceGroup.add(this.slice.line, this.slice.curtain);
    }
    const z = d.K > 1 ? this.zOfRho(d.rho[k], d.rho) : 0;
    const attr = this.slice.line.geometry.getAttribute('position') as BufferAttribute;
    const pts = attr.array as Float32Array;
    for (let j = 0; j < d.T; j++) {
      pts[j * 3] = this.xOf(j, d.T);
      pts[j * 3 + 1] = this.yOf(d.values[k * d.T + j], d.overflow[k * d.T + j], d.range) + 0.006;
      pts[j * 3 + 2] = z;
    }
    attr.needsUpdate = true;
    this.slice.curtain.position.z = z;
    this.requestRender();
  }

  resetView(): void {
    this.setPose(DEFAULT_POSE);
    this.onCamera(null);
  }

  private lastRender = 0;

  /**
   * Render on the next frame. On a software GL a frame costs tens of ms of CPU, so there renders
   * are spaced at least SOFTWARE_FRAME_MS apart: the slider, heatmap and slice chart stay at
   * display rate and the surface follows a little behind.
   */
  private requestRender(): void {
    if (this.frame || this.disposed) return;
    const wait = this.software ? Math.max(0, SOFTWARE_FRAME_MS - (performance.now() - this.lastRender)) : 0;
    const go = () => {
      this.frame = requestAnimationFrame(() => {
        this.frame = 0;
        this.renderNow();
      });
    };
    if (wait > 0) {
      this.frame = -1; // pending; a number so requests coalesce
      setTimeout(go, wait);
    } else go();
  }

  /** Labels move only with the camera, the data or the size; slice moves leave them alone. */
  private labelsDirty = true;

  renderNow(): void {
    if (this.disposed) return;
    this.lastRender = performance.now();
    this.renderer.render(this.scene, this.camera);
    if (this.labelsDirty) {
      this.labels.render(this.scene, this.camera);
      this.keepLabelsInside();
      this.labelsDirty = false;
    }
  }

  /**
   * A label centred on its anchor near the view's edge (the height's title at the back-left
   * corner in a narrow compare-mode panel) would be cut off: shift it sideways (and down, or up)
   * back inside. CSS2DRenderer rewrites each transform on every render, so the shift is appended
   * afresh. Then, in a small view, labels would pile up (the rho ticks along the box's short
   * edge, "timestep t" over a t tick): titles are kept, and a tick label that overlaps a label
   * already kept is hidden (visibility, so the layout stays), in the order the axes were built.
   */
  private keepLabelsInside(): void {
    const box = this.labels.domElement.getBoundingClientRect();
    if (box.width === 0) return;
    const pad = 2;
    const shown: CSS2DObject[] = [];
    this.dataGroup.traverse((o) => {
      if (!(o instanceof CSS2DObject) || o.element.style.display === 'none') return;
      o.element.style.visibility = '';
      const r = o.element.getBoundingClientRect();
      let dx = 0;
      if (r.left < box.left + pad) dx = box.left + pad - r.left;
      else if (r.right > box.right - pad) dx = box.right - pad - r.right;
      let dy = 0;
      if (r.top < box.top + pad) dy = box.top + pad - r.top;
      else if (r.bottom > box.bottom - pad) dy = box.bottom - pad - r.bottom;
      if (dx !== 0 || dy !== 0) o.element.style.transform += ` translate(${dx}px, ${dy}px)`;
      shown.push(o);
    });
    const kept: DOMRect[] = [];
    const overlaps = (a: DOMRect) => kept.some((b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom);
    const isTitle = (o: CSS2DObject) => o.element.classList.contains('title') || o.element.classList.contains('rho1');
    // Each axis's ticks every other one first (the 1st, 3rd, ...), then the rest: a crowded axis keeps evenly spaced labels.
    const ticks = shown.filter((o) => !isTitle(o));
    const index = new Map<CSS2DObject, number>();
    for (const axis of ['tick-t', 'tick-rho', 'tick-v']) ticks.filter((o) => o.element.classList.contains(axis)).forEach((o, i) => index.set(o, i));
    const byParity = [...ticks.filter((o) => (index.get(o) ?? 0) % 2 === 0), ...ticks.filter((o) => (index.get(o) ?? 0) % 2 === 1)];
    for (const o of [...shown.filter(isTitle), ...byParity]) {
      const r = o.element.getBoundingClientRect();
      if (!isTitle(o) && overlaps(r)) o.element.style.visibility = 'hidden';
      else kept.push(r);
    }
  }

  /**
   * The view rendered at width x height pixels for an image export (same camera, its aspect set
   * to the image's, pixel ratio 1), copied into a 2D canvas, with every axis label's text, CSS
   * class and pixel position (the labels are DOM elements, not in the WebGL image). The
   * on-screen size is restored afterwards. Throws when WebGL cannot draw that large.
   */
  renderImage(width: number, height: number): { image: HTMLCanvasElement; labels: { text: string; cls: string; x: number; y: number }[]; dark: boolean } {
    const gl = this.renderer.getContext();
    const dims = gl.getParameter(gl.MAX_VIEWPORT_DIMS) as Int32Array;
    const limit = Math.min(dims[0], dims[1], gl.getParameter(gl.MAX_RENDERBUFFER_SIZE) as number);
    if (width > limit || height > limit) throw new Error(`WebGL here draws at most ${limit} x ${limit} pixels; pick a smaller size than ${width} x ${height}`);
    const size = this.renderer.getSize(new Vector2());
    const ratio = this.renderer.getPixelRatio();
    const aspect = this.camera.aspect;
    try {
      this.renderer.setPixelRatio(1);
      this.renderer.setSize(width, height, false);
      this.fitAspect(width / height);
      this.renderer.render(this.scene, this.camera);
      const image = document.createElement('canvas');
      image.width = width;
      image.height = height;
      const ctx = image.getContext('2d');
      if (!ctx) throw new Error('the browser gave no 2D canvas to compose the image');
      ctx.drawImage(this.canvas, 0, 0);
      const labels: { text: string; cls: string; x: number; y: number }[] = [];
      const v = new Vector3();
      this.dataGroup.traverse((o) => {
        if (!(o instanceof CSS2DObject)) return;
        o.getWorldPosition(v).project(this.camera);
        if (Math.abs(v.z) <= 1) labels.push({ text: o.element.textContent ?? '', cls: o.element.className, x: ((v.x + 1) / 2) * width, y: ((1 - v.y) / 2) * height });
      });
      return { image, labels, dark: this.dark };
    } finally {
      this.renderer.setPixelRatio(ratio);
      this.renderer.setSize(size.x, size.y, false);
      this.fitAspect(aspect);
      this.labelsDirty = true;
      this.renderNow();
    }
  }

  /** Live three.js objects this scene holds (leak checks), and how many surface geometries it has made (in-place checks). */
  stats(): { geometries: number; textures: number; surfaceBuilds: number } {
    const m = this.renderer.info.memory;
    return { geometries: m.geometries, textures: m.textures, surfaceBuilds: this.surfaceBuilds };
  }

  dispose(): void {
    this.disposed = true;
    if (this.frame > 0) cancelAnimationFrame(this.frame);
    this.clearGroup(this.dataGroup);
    this.clearGroup(this.sliceGroup);
    this.surface = null;
    this.rhoOne = null;
    for (const m of Object.values(this.mats)) m.dispose();
    this.controls.removeEventListener('change', this.onControlsChange);
    this.controls.stopListenToKeyEvents();
    this.controls.dispose();
    this.canvas.removeEventListener('webglcontextlost', this.onContextLost);
    this.canvas.removeEventListener('webglcontextrestored', this.onContextRestored);
    this.renderer.dispose();
    // Free the WebGL context now (browsers cap live contexts; compare mode toggles create them).
    this.renderer.forceContextLoss();
    this.canvas.remove();
    this.labels.domElement.remove();
    void this.host;
  }
}
