/**
 * Exports shared by the lab and the CLI. Bytes and strings out, no Node built-ins:
 * heatmap PNG/SVG (one renderer), tidy CSV, NPY/NPZ, and file names carrying the config.
 * The caller loads the figure font (FigureFont.parse on the bytes of FIGURE_FONT_FILE).
 */
export { COLORMAPS, colourAt, type ColormapName, type Rgb } from './colormap.ts';
export { FIGURE_FONT_FAMILY, FIGURE_FONT_FILE, FIGURE_FONT_PACKAGE, FigureFont, FontError } from './font.ts';
export { SCALES, buildHeatmapScene, configTitle, prettyLabel, type HeatmapOptions, type HeatmapScene, type Scale } from './figure.ts';
export { SVG_RECT_LIMIT, plotPixels, renderHeatmapPng, renderHeatmapRaster, renderHeatmapSvg } from './heatmap.ts';
export { CSV_COLUMNS, csvChunks, csvColumns, csvHeader, toCsv } from './csv.ts';
export { fieldNpz, npyBytes, npzSidecar, readNpy, type NpyArray } from './npy.ts';
export { GRID_FILE_PREFIX, configSlug, exportFileName } from './names.ts';
export { CompareError, differenceGrid, differenceOf } from './compare.ts';
export { bundleFile, csvFile, heatmapFile, npzFile, sliceFile, spectrumFile, type ExportFile } from './files.ts';
export { chartPng, chartSvg, rasteriseChart, type ChartItem, type ChartScene } from './chart.ts';
export { DEFAULT_OVERLAYS, buildSliceScene, sliceFromField, type SliceFigureData, type SliceFigureOptions, type SliceOverlays } from './slice.ts';
export { buildSpectrumScene, type SpectrumFigureOptions } from './spectrum.ts';
