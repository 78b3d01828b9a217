/** Server-side chart images for notifications (Slack, mail, tickets): echarts to SVG to PNG, no browser. */
export * from './render.js';
export * from './alert-chart.js';
export { decodePng, type DecodedPng } from './png.js';
