/** Every API route module, in one list: adding a group of routes is one file and one line here. */
import type { RouteModule } from '../context.js';
import { meta } from './meta.js';

export const ROUTES: readonly RouteModule[] = [meta];
